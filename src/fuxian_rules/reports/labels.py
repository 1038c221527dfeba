"""Chinese wording shared by every report format, and the catalogue look-ups behind it.

The office pastes these texts into a 考核通报, so each definition is written once here and the Excel,
HTML and Markdown outputs all say the same thing in the same words. Everything a label needs from the
rules (unit names, clause labels, instrument names) is read from the engine's catalogue, never
hard-coded, so a deployment's own registry or rules show up in its reports.
"""

from __future__ import annotations

from fuxian_rules import Catalog

__all__ = [
    "AREA_DEFINITION",
    "ARISEN_DEFINITION",
    "LEGAL_BASIS",
    "MODALITY_ZH",
    "RATE_DEFINITION",
    "STATUS_ZH",
    "area_label",
    "area_of",
    "basis_label",
    "instrument_names",
    "unit_name",
]

STATUS_ZH = {
    "open": "尚未到期",
    "fulfilled": "按期履行",
    "fulfilled_late": "逾期履行",
    "overdue": "逾期未履行",
    "violated": "违反禁止性规定",
    "advisory": "提示",
    "cancelled": "不再适用",
}

MODALITY_ZH = {"obligation": "应当履行", "prohibition": "禁止性规定", "permission": "提示（可以）"}

ARISEN_DEFINITION = (
    "“本期产生”指义务的产生日期在统计期间内：由事件引起的义务，以引起该义务的事件发生之日为准；"
    "按年度产生的义务（如每年召开全体会议、年度复查从业人员），以所属年度1月1日为准（不早于规则施行之日和"
    "引起该义务的事件发生之日）；常设义务（如指定联络员），以规则施行之日为准。"
)
RATE_DEFINITION = (
    "按期履行率 = 按期履行 ÷（按期履行 + 逾期履行 + 逾期未履行），只计“应当”类义务；"
    "分母为零（本期没有已届期限或已完成的义务）时记为“不适用”。尚未到期、不再适用的义务不计入。"
)
AREA_DEFINITION = (
    "条款领域按义务依据中列出的第一条通知条款归类，取至“项”一级（如依据为通知二（三）1 的，归入二（三））。"
)
#: Why the office counts at all: the clauses that make it assess the member units.
LEGAL_BASIS = (
    ("5.3", "联席会议办公室适时对各成员单位落实年度重点工作任务清单、执行联席会议决议或纪要等工作情况"
            "进行督导检查、考核通报"),
    ("3.11", "将行刑衔接工作纳入法治政府考核"),
    ("2.3", "联席会议办公室设在区司法局,负责日常联络、沟通协调、督办落实等工作"),  # the notice's own comma
)


def unit_name(catalog: Catalog, code: str) -> str:
    """The unit's Chinese name from the registry; a free-form code (a school) is shown as given."""
    unit = catalog.units.get(code)
    return unit.name if unit is not None else f"{code}（名录外单位）"


def area_of(basis: list[str] | tuple[str, ...]) -> str:
    """The clause area of an obligation: its first notice citation, cut to section.item (``3.11``).

    Every rule cites at least one notice clause (the catalogue checks it), so an empty answer only
    comes from a result produced by some other catalogue; it is then reported as area ``""``.
    """
    for cid in basis:
        if cid.startswith("notice:"):
            return ".".join(cid.removeprefix("notice:").split(".")[:2])
    return ""


def area_label(catalog: Catalog, area: str) -> str:
    """``三（十一）强化行政执法与刑事司法衔接`` for ``3.11``: the notice's own label and heading."""
    clause = catalog.notice.get(area)
    if clause is None:
        return area or "未标明条款"
    return f"{clause.label}{clause.heading}"


def basis_label(catalog: Catalog, cid: str) -> str:
    """A citation as a reader knows it: ``通知三（十一）`` or ``行政执法机关移送涉嫌犯罪案件的规定第5条``."""
    if cid.startswith("notice:"):
        clause = catalog.notice.get(cid.removeprefix("notice:"))
        return f"通知{clause.label}" if clause is not None else cid
    instrument, _, article = cid.partition(":")
    info = catalog.instruments.get(instrument)
    if info is None:
        return cid
    name = str(info.get("name", instrument)).split("（")[0]
    return f"《{name}》第{article}条" if article else f"《{name}》"


def instrument_names(catalog: Catalog, basis: list[str] | tuple[str, ...]) -> list[str]:
    """The distinct instruments cited, in first-cited order, the notice first (for a count's basis)."""
    names: list[str] = []
    for cid in basis:
        if cid.startswith("notice:"):
            clause = catalog.notice.get(area_of([cid]))
            label = f"通知{clause.label}" if clause is not None else cid
        else:
            label = basis_label(catalog, cid.partition(":")[0])
        if label not in names:
            names.append(label)
    return names
