"""The Chinese words for statuses and modalities: one table, so the CLI, the explanations and the docs agree.

Each status has a short label (a table column: 未到期) and the phrase an explanation ends with
(状态：未到期（尚未履行）). Both are kept here side by side so a change of wording is made once.
"""

from __future__ import annotations

from typing import NamedTuple

from fuxian_rules.model.results import Status

__all__ = ["MODALITY_ZH", "RULE_KIND_ZH", "STATUS_ZH", "StatusLabel"]


class StatusLabel(NamedTuple):
    """How a status is said in Chinese.

    Attributes:
        short: In a table or a heading (``逾期``).
        sentence: In an explanation's 状态 line (``已逾期未履行``).
    """

    short: str
    sentence: str


STATUS_ZH: dict[Status, StatusLabel] = {
    "open": StatusLabel("未到期", "未到期（尚未履行）"),
    "fulfilled": StatusLabel("已履行", "已按期履行"),
    "fulfilled_late": StatusLabel("逾期履行", "已履行但逾期"),
    "overdue": StatusLabel("逾期", "已逾期未履行"),
    "violated": StatusLabel("违反", "已违反"),
    "advisory": StatusLabel("提示", "提示"),
    "cancelled": StatusLabel("不再适用", "已不再适用"),
}

#: A rule's modality as the docs name it (the first two characters are the verb: 应当, 不得, 可以).
MODALITY_ZH = {"obligation": "应当（义务）", "prohibition": "不得（禁止）", "permission": "可以（提示）"}

#: A rule's kind as the first line of an explanation names it (【义务】…).
RULE_KIND_ZH = {"obligation": "义务", "prohibition": "禁止性规定", "permission": "可以（提示）"}
