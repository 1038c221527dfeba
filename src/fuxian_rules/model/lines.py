"""Reading JSON Lines from an untrusted file in bounded memory.

A calling system may send a file without a single newline (a 2 GB line, ``/dev/zero``), a Windows
file with a byte-order mark, a classic-Mac file whose lines end in a bare CR, or a file saved as GBK.
The file is therefore read in fixed chunks, never line by line through Python's own reader (which
holds a whole line, however long, before anyone can look at its length): a line longer than the limit
is dropped as it streams past and reported once, with its number, at a cost of one chunk of memory.

Every problem is a :class:`~fuxian_rules.Rejection` with a stable ``code`` (``line_too_long``,
``not_utf8``, ``invalid_json``, ``too_deep``, ``duplicate_key``) that calling systems can route on,
and a message that names no value from the line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO

from fuxian_rules.model.hints import GBK_HINT, looks_like_gb18030

__all__ = ["BLANK", "CHUNK_BYTES", "MAX_LINE_BYTES", "iter_lines", "numbered", "parse_line"]

#: What :func:`parse_line` returns for a blank line (``null`` is a JSON value, so None cannot say it).
BLANK: Any = object()

#: A line longer than this is rejected (no event is anywhere near it: the largest legal one is ~30 KB).
MAX_LINE_BYTES = 1024 * 1024
#: How much is read at a time; the most a line being dropped costs.
CHUNK_BYTES = 64 * 1024

_BOM = b"\xef\xbb\xbf"
_EOL = re.compile(rb"\r\n|\r|\n")

#: What :func:`iter_lines` yields: (line number, the line's bytes without its end, or None if too long).
Line = tuple[int, bytes | None]


def iter_lines(fh: BinaryIO, limit: int = MAX_LINE_BYTES, chunk: int = CHUNK_BYTES) -> Iterator[Line]:
    r"""Split a binary stream into numbered lines, holding at most ``limit + chunk`` bytes at a time.

    Lines end at ``\n``, ``\r\n`` or a bare ``\r``; a UTF-8 byte-order mark at the start is dropped. A line
    over ``limit`` bytes is yielded as ``(number, None)`` once its end is reached (or the stream ends).
    """
    no = 0
    parts: list[bytes] = []
    size = 0
    too_long = False
    pending_cr = False  # the previous chunk ended in \r: a \n starting this one ends nothing new
    first = True
    while True:
        block = fh.read(chunk)
        if not block:
            break
        if first:
            first = False
            if block.startswith(_BOM):
                block = block[len(_BOM):]
        if pending_cr and block.startswith(b"\n"):
            block = block[1:]
        pending_cr = block.endswith(b"\r")
        pieces = _EOL.split(block) if b"\r" in block else block.split(b"\n")
        for piece in pieces[:-1]:
            no += 1
            if too_long or size + len(piece) > limit:
                yield no, None
            else:
                yield no, (b"".join(parts) + piece) if parts else piece
            parts, size, too_long = [], 0, False
        rest = pieces[-1]
        if too_long:
            continue
        if size + len(rest) > limit:
            parts, size, too_long = [], 0, True  # drop what was held: this line will be rejected
        elif rest:
            parts.append(rest)
            size += len(rest)
    if too_long or parts:
        no += 1
        yield no, None if too_long else b"".join(parts)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in events")


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__("duplicate key")
        self.key = key


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):  # rare: only then look for the key that came twice, to name it
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return out


#: What ``json.loads(text, parse_constant=…, object_pairs_hook=…)`` builds on every call, built once.
_DECODER = json.JSONDecoder(parse_constant=_no_constants, object_pairs_hook=_no_duplicate_keys)


def parse_line(no: int, raw: bytes | str | None, known_words: Callable[[str], bool] = lambda _: False,
               make: Callable[..., Any] | None = None) -> Any:
    """Parse one line into a JSON value, or return its rejection (built by ``make``); :data:`BLANK` if blank.

    Args:
        no: The line number, for the rejection.
        raw: The line (bytes or text), or None when it was too long.
        known_words: Whether a key name may be shown in a message (a word of the vocabulary); any other
            key a caller invents may be personal data and is not repeated.
        make: The rejection factory, ``make(line=, code=, message=)``.
    """
    assert make is not None
    if raw is None:
        return make(line=no, code="line_too_long", message=f"line longer than {MAX_LINE_BYTES} bytes; not read")
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            hint = GBK_HINT if looks_like_gb18030(raw) else "events are UTF-8 JSON"
            return make(line=no, code="not_utf8", message=f"not valid UTF-8 at byte {exc.start}; {hint}")
    else:
        if len(raw) > MAX_LINE_BYTES:
            return make(line=no, code="line_too_long", message=f"line longer than {MAX_LINE_BYTES} bytes; not read")
        text = raw
    if no == 1 and text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        return BLANK
    try:
        return _DECODER.decode(text)
    except RecursionError:
        return make(line=no, code="too_deep", message="JSON nested too deeply")
    except _DuplicateKey as exc:
        name = f" {exc.key!r}" if known_words(exc.key) else " (name not shown)"
        return make(line=no, code="duplicate_key", message=f"duplicate key{name} in the JSON object")
    except ValueError as exc:
        # json's own messages name a position and what was expected, never the text around it.
        reason = str(exc).split(":")[0][:80] if not str(exc).endswith("not allowed in events") else str(exc)
        return make(line=no, code="invalid_json", message=f"not valid JSON: {reason}")


def numbered(lines: Iterable[bytes | str] | BinaryIO) -> Iterator[tuple[int, bytes | str | None]]:
    """Number the lines of a binary file (read in bounded chunks) or of an iterable of lines."""
    if hasattr(lines, "read"):
        yield from iter_lines(lines)  # type: ignore[arg-type]
    else:
        yield from enumerate(lines, start=1)
