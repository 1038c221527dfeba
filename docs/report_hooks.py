"""mkdocs hook: build the district example's assessment (Markdown page, HTML, Excel, a digest) for the docs.

Runs after ``hooks.py`` (see ``mkdocs.yml``) and writes into ``docs/generated/reports/``, which is never
committed: the example report in the documentation is always what the current code computes from
``examples/district-2024.jsonl``. The Excel file needs the ``reports`` extra (openpyxl); without it the
page says so instead of linking a file that does not exist.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:  # works without `pip install -e .`
    sys.path.insert(0, str(ROOT / "src"))

EXAMPLE = ROOT / "examples" / "district-2024.jsonl"
PERIOD = (date(2024, 1, 1), date(2024, 12, 31))


def build(out: Path) -> None:
    """Write district-2024.md/.html/.xlsx and the snippets links.txt, digest.txt, definitions.txt into ``out``."""
    from fuxian_rules import Engine
    from fuxian_rules.reports import build_report, digest
    from fuxian_rules.reports.html import render_report
    from fuxian_rules.reports.markdown import render_markdown
    from fuxian_rules.reports.summary import definitions

    out.mkdir(parents=True, exist_ok=True)
    engine = Engine()
    try:
        good, _ = engine.validate(json.loads(line) for line in EXAMPLE.read_text(encoding="utf-8").splitlines())
        result = engine.evaluate(good, PERIOD[1])
        report = build_report(result, good, engine.catalog, period_from=PERIOD[0], period_to=PERIOD[1])
        # a worked report quotes every rule's title: below the rule pages in search (as the spec is)
        low_in_search = "---\nsearch:\n  boost: 0.3\n---\n"
        (out / "district-2024.md").write_text(low_in_search + render_markdown(report, engine.catalog), encoding="utf-8")
        (out / "district-2024.html").write_text(render_report(report, engine.catalog, docs_base_url="../.."),
                                                encoding="utf-8")
        try:
            from fuxian_rules.reports.xlsx import write_xlsx

            write_xlsx(report, out / "district-2024.xlsx", engine.catalog)
            xlsx = "[Excel 工作簿](generated/reports/district-2024.xlsx)"
        except ImportError:
            xlsx = "Excel 工作簿（构建文档时未安装 `reports` 扩展，未生成）"
        (out / "links.txt").write_text(f"- [HTML 报告（含图表，离线可打开）](generated/reports/district-2024.html)\n"
                                      f"- {xlsx}\n- [Markdown 报告](generated/reports/district-2024.md)\n",
                                      encoding="utf-8")
        later = engine.evaluate(good, "2024-09-27")
        (out / "digest.txt").write_text(digest(later, "urban_management", 5, engine.calendar,
                                               catalog=engine.catalog).text + "\n", encoding="utf-8")
        (out / "definitions.txt").write_text("".join(f"- {d}\n" for d in definitions()), encoding="utf-8")
    finally:
        engine.close()


def on_config(config: Any) -> Any:
    """Build the example before mkdocs collects the pages (the nav names district-2024.md)."""
    build(Path(config["docs_dir"]) / "generated" / "reports")
    return config
