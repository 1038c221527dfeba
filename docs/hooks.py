"""mkdocs hooks: regenerate ``docs/generated/`` before every build, and make search work on Chinese text.

Generated pages
    ``docs/generated/`` is never committed: ``on_config`` rebuilds it from ``rules/`` each time, so the site
    cannot drift from the rules. The nav entry ``generated/rules/`` of ``mkdocs.yml`` is replaced by one
    section per clause area with its rule pages.

Chinese search
    Material's client-side search splits a Chinese query into pieces that are terms of the index (its
    "experimental segmentation"), which drops the query's last character and, with word- or character-level
    terms, turns 检察意见 into 检察* (or 检*, 察*, 意*). So the index gets two extra fields (declared in
    ``mkdocs.yml``), ``zh`` and ``zh_title``: every position of the Chinese text starts one term of
    ``GRAM`` characters. A query of up to ``GRAM`` characters then (almost always) has no proper prefix among
    the terms, so Material searches it whole, and as a prefix it matches exactly the sections containing it.
    The text field's own Chinese terms are whole runs between punctuation, rarely that short. jieba
    segmentation (which Material applies when jieba is installed) is switched off: it makes short terms.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT / "src", ROOT):  # the package without `pip install -e .`, and tools/ of the checkout
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from tools.docs import generate  # noqa: E402

GRAM = 8  # longest Chinese query searched as one exact phrase (longer ones are split by Material)
PAD = "龥"  # pads the last terms of a section to GRAM characters; a word character for lunr's trimmer
_HAN = re.compile(r"[\u4e00-\u9fa5]")
_TAG = re.compile(r"<[^>]+>")

with contextlib.suppress(ImportError):
    import material.plugins.search.plugin as _search

    _search.jieba = None  # type: ignore[attr-defined]


def on_config(config: Any) -> Any:
    """Generate the pages, expand the rules nav entry and make snippet paths independent of the cwd."""
    nav = generate(Path(config["docs_dir"]) / "generated")
    config["nav"] = [
        {title: nav} if target == "generated/rules/" else {title: target}
        for entry in config["nav"] for title, target in entry.items()
    ]
    config["mdx_configs"].setdefault("pymdownx.snippets", {})["base_path"] = [config["docs_dir"]]
    return config


def _grams(html: str) -> str:
    han = "".join(_HAN.findall(_TAG.sub(" ", html)))
    padded = han + PAD * (GRAM - 1)
    return " ".join(padded[i:i + GRAM] for i in range(len(han)))


def on_post_build(config: Any) -> None:
    """Add the ``zh`` and ``zh_title`` fields to the search index Material wrote."""
    path = Path(config["site_dir"]) / "search" / "search_index.json"
    if not path.is_file():
        return
    data = json.loads(path.read_text(encoding="utf-8"))
    for doc in data["docs"]:
        doc["zh"], doc["zh_title"] = _grams(doc.get("text", "")), _grams(doc.get("title", ""))
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
