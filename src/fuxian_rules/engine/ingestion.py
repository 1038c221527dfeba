"""Ingestion: the ONE rule by which events are accepted, de-duplicated or rejected, for every consumer.

Batch evaluation, streaming, the ledger and partitioned (Spark) evaluation all take events through an
:class:`Ingestion`, so the same input gives the same accepted events everywhere.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fuxian_rules.engine.keymemory import KeyMemory
from fuxian_rules.engine.limits import IDS_IN_MEMORY
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

    Ids are remembered with the first 128 bits of their first version's digest; past ``in_memory`` ids
    they move to a temporary file on disk (:class:`~fuxian_rules.engine.keymemory.KeyMemory`), so a
    stream of any length holds a bounded number of them in RAM. :meth:`close` deletes that file (it is
    also deleted when the Ingestion is collected).

    Args:
        reader: Validates raw events for :meth:`offer` (not needed for :meth:`settle`).
        in_memory: Ids held in RAM before they move to disk (default
            :data:`~fuxian_rules.engine.limits.IDS_IN_MEMORY`).
    """

    def __init__(self, reader: EventReader | None = None, *, in_memory: int = IDS_IN_MEMORY) -> None:
        self._reader = reader
        # id -> the first 128 bits of its first version's digest, as an int (a 128-bit prefix of SHA-256
        # only ever compares two versions of one id, so a false "duplicate" is out of reach).
        self._seen = KeyMemory(in_memory)

    @property
    def ids_on_disk(self) -> int:
        """How many remembered ids have moved to disk (0 until ``in_memory`` is reached)."""
        return self._seen.on_disk

    def close(self) -> None:
        """Forget every id and delete the file they moved to, if any."""
        self._seen.close()

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
            self._seen.add(eid, short)
            return True
        if known == short:
            return False
        return Rejection(line=line, id=eid, field="id", code="id_conflict", message=CONFLICT_MESSAGE)
