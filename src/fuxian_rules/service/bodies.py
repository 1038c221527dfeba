"""Reading event bodies safely: content type, a size limit enforced while reading, and strict JSON.

A body announced (``Content-Length``) or found (while streaming) to be larger than the limit is refused
with 413 before it is read whole. JSON arrays and JSON Lines are parsed with NaN/Infinity and duplicate
keys refused; in JSON Lines each line stands alone, so one bad line costs only itself.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from fuxian_rules import Rejection

from .problems import Problem

__all__ = ["read_events"]

JSON_TYPES = ("application/json",)
NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines")


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("duplicate key in an object")
    return out


def _loads(text: str) -> Any:
    return json.loads(text, parse_constant=_no_constants, object_pairs_hook=_no_duplicates)


async def _body(request: Request, limit: int) -> bytes:
    too_large = f"the body is larger than {limit} bytes; send fewer events per request"
    announced = request.headers.get("content-length")
    if announced is not None and (not announced.isdigit() or int(announced) > limit):
        raise Problem(413, "body_too_large", too_large)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, "body_too_large", too_large)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_events(request: Request, *, max_bytes: int, max_events: int) -> list[Any]:
    """The request's events: dicts, or a :class:`~fuxian_rules.Rejection` for a JSON Lines line that is not JSON."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in JSON_TYPES + NDJSON_TYPES:
        raise Problem(415, "unsupported_media_type",
                      "send a JSON array (application/json) or JSON Lines (application/x-ndjson)")
    raw = await _body(request, max_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem(400, "invalid_encoding", f"the body is not valid UTF-8 (byte {exc.start})") from None
    items: list[Any]
    if ctype in JSON_TYPES:
        try:
            parsed = _loads(text)
        except RecursionError:
            raise Problem(400, "malformed_json", "the JSON is nested too deeply") from None
        except ValueError as exc:
            raise Problem(400, "malformed_json", f"the body is not valid JSON: {str(exc)[:120]}") from None
        if not isinstance(parsed, list):
            raise Problem(400, "not_an_array", "the body must be a JSON array of events")
        items = parsed
    else:
        items = []
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                items.append(_loads(line))
            except RecursionError:
                items.append(Rejection(message="JSON nested too deeply"))
            except ValueError as exc:
                items.append(Rejection(message=f"not valid JSON: {str(exc)[:120]}"))
            if len(items) > max_events:
                break
    if len(items) > max_events:
        raise Problem(413, "too_many_events", f"at most {max_events} events per request; split the batch")
    return items
