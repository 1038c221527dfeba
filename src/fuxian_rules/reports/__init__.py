"""Reports for the joint-meeting office (区司法局): yearly assessment, reminder digests, dashboard pages.

Install with ``pip install "fuxian-rules[reports]"``. ``import fuxian_rules`` never imports this
package; the computation (:func:`build_report`, :func:`digest`) needs nothing beyond the library, and
only the writers need the extra's libraries::

    from fuxian_rules import Engine
    from fuxian_rules.reports import build_report, digest
    from fuxian_rules.reports.html import render_report     # Jinja2 + the vendored ECharts
    from fuxian_rules.reports.xlsx import write_xlsx          # openpyxl
    from fuxian_rules.reports.markdown import render_markdown
"""

from __future__ import annotations

from .compute import ReportError, build_report, count
from .model import Counts, Item, Report, Row
from .reminders import Digest, DigestItem, digest

__all__ = [
    "Counts",
    "Digest",
    "DigestItem",
    "Item",
    "Report",
    "ReportError",
    "Row",
    "build_report",
    "count",
    "digest",
]
