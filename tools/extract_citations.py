"""Regenerate rules/citations.yaml's article texts from shared/reference/national-rules.md.

Run by hand when the verified reference changes (`python tools/extract_citations.py ../shared/reference/
national-rules.md > rules/citations.generated.yaml`), then review the diff: the YAML is the source the
library reads; this script only saves retyping verbatim texts.
"""

import re
import sys

import yaml

RANGES = [  # (first line, last line, citation id prefix) in national-rules.md
    (20, 113, "transfer-reg"), (114, 118, "spp-criminal-rules"), (150, 170, "mps-procedure"),
    (175, 186, "spp-criminal-rules"), (187, 192, "cpl"), (200, 225, "spp-criminal-rules"),
    (226, 234, "cpl"), (295, 312, "report-opinion-2020"), (330, 365, "minors-law"),
    (370, 381, "cpl"), (385, 392, "cpl-interp"), (420, 441, "civil-code"), (442, 446, "admin-penalty-law"),
    (460, 476, "procuratorial-suggestion-rules"), (490, 512, "admin-penalty-law"),
]
DIGITS = {"零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def cn_number(text: str) -> int:
    """Turn a Chinese article number (二十一) into an int, as the reference text writes them."""
    total, section, num = 0, 0, 0
    units = {"十": 10, "百": 100, "千": 1000}
    for ch in text:
        if ch in DIGITS:
            num = DIGITS[ch]
        else:
            section += (num or 1) * units[ch]
            num = 0
    return total + section + num


def main(path: str) -> None:
    """Print the citations YAML for the verified reference file at ``path``."""
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    articles: dict[str, list[str]] = {}
    current = None
    for no, line in enumerate(lines, start=1):
        if not line.startswith(">"):
            current = None
            continue
        prefix = next((p for a, b, p in RANGES if a <= no <= b), None)
        body = line[1:].strip()
        if prefix and (m := re.match(r"^第([零一二三四五六七八九十百千]+)条", body)):
            current = f"{prefix}:{cn_number(m.group(1))}"
            articles.setdefault(current, []).append(body)
        elif current and body:
            articles[current].append(body)
    out = {k: "\n".join(v) for k, v in articles.items()}
    yaml.safe_dump(out, sys.stdout, allow_unicode=True, width=1000, sort_keys=False)


if __name__ == "__main__":
    main(sys.argv[1])
