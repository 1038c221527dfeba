"""Citations (contract §3): ``notice:3.11`` for a clause of the notice, ``cpl:105`` for a national article.

Rule files, results and explanations carry citations as plain strings; this is the one place that reads
them, so "is this a clause of the notice, and which one" is answered the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

__all__ = ["NOTICE", "Citation", "notice_clauses"]

#: The instrument id of the notice itself (惠政文〔2024〕22号).
NOTICE = "notice"


class Citation(NamedTuple):
    """One citation, split into its instrument and the article or clause within it.

    Attributes:
        instrument: ``notice``, or the id of a national instrument in ``rules/citations.yaml``.
        article: The clause of the notice (``3.11``) or the article number (``105``).
    """

    instrument: str
    article: str

    @classmethod
    def parse(cls, text: str) -> Citation:
        """Split ``instrument:article``; text without a colon is an instrument with no article."""
        instrument, _, article = text.partition(":")
        return cls(instrument, article)

    @property
    def is_notice(self) -> bool:
        """Whether this cites a clause of the notice."""
        return self.instrument == NOTICE

    def __str__(self) -> str:
        return f"{self.instrument}:{self.article}"


def notice_clauses(basis: Iterable[str]) -> list[str]:
    """The clause ids (``3.11``) of the notice citations among ``basis``, in order."""
    return [c.article for c in map(Citation.parse, basis) if c.is_notice]
