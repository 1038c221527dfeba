"""Ingestion: the ONE rule by which events are accepted, de-duplicated or rejected, for every consumer.

Batch evaluation, streaming, the ledger and partitioned (Spark) evaluation all take events through an
:class:`Ingestion`, so the same input gives the same accepted events everywhere.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fuxian_rules.model.events import Event, EventReader, Rejection

__all__ = ["CONFLICT_MESSAGE", "Ingestion", "digest_of_canonical", "event_digest"]


CONFLICT_MESSAGE = ("the same event id was received earlier with different content; this version is rejected "
                    "and the first one kept — send a correction under a new id")


def event_digest(ev: Event) -> str:
    """A stable fingerprint of an event's content (SHA-256 of its canonical JSON), equal across processes."""
    return digest_of_canonical(ev.canonical())


def digest_of_canonical(canonical: str) -> str:
    """:func:`event_digest` from the event's ``canonical()`` text, for callers that keep that text anyway."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Ingestion:
    """The one ingestion rule, shared by batch, streaming, the ledger and partitioned evaluation.

    Each event is validated on its own (:class:`~fuxian_rules.Rejection` naming line, id and field).
    Then, by id: the **first** accepted version of an id is the event; a later copy with identical
    content is a duplicate (ignored, contract §1: "the same id sent twice is the same event"); a later
    copy with other content is rejected and changes nothing (contract §5). The first version is kept
    because a stream or a ledger may already have acted on it and cannot take it back.

    Ids are remembered as digests only, so memory grows by one short string per distinct id.
    """

    def __init__(self, reader: EventReader | None = None) -> None:
        self._reader = reader
        # id -> the first 128 bits of its first version's digest, as an int: 44 bytes where the hex string
        # took 113 (this dict grows with the input of a stream or a one-process batch; partitioned runs keep
        # one per id bucket. A 128-bit prefix of SHA-256 only ever compares two versions of one id, so a
        # false "duplicate" is out of reach).
        self._seen: dict[str, int | str] = {}

    def offer(self, raw: Any, line: int | None = None) -> Event | Rejection | None:
        """Validate one event and apply the id rule: the event, its rejection, or None for a duplicate."""
        if isinstance(raw, Rejection):
            return raw
        if self._reader is None:
            raise TypeError("this Ingestion has no reader: use settle() for events validated elsewhere")
        ev = self._reader.validate(raw, line)
        if isinstance(ev, Rejection):
            return ev
        outcome = self.settle(ev.id, event_digest(ev), line)
        return ev if outcome is True else (None if outcome is False else outcome)

    def settle(self, eid: str, digest: str, line: int | None = None) -> bool | Rejection:
        """The id rule alone, for an event validated elsewhere (a worker process, a Spark executor).

        Args:
            eid: The event's id.
            digest: Its :func:`event_digest`.
            line: Where it was, for the rejection.

        Returns:
            True for the first version of the id (the event), False for an identical resend (a duplicate),
            or the rejection of a version with other content.
        """
        try:
            short: int | str = int(digest[:32], 16)
        except ValueError:  # not an event_digest (a caller's own fingerprint): kept as given
            short = digest
        known = self._seen.get(eid)
        if known is None:
            self._seen[eid] = short
            return True
        if known == short:
            return False
        return Rejection(line=line, id=eid, field="id", code="id_conflict", message=CONFLICT_MESSAGE)
