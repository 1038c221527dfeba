"""Access tokens: issued once, stored only as a hash, each bound to one unit code and one role.

A token is ``fxr_`` followed by 32 random bytes (URL-safe base64); the ledger keeps its SHA-256, a short
public id to list and revoke it by, the unit, the role and an optional expiry. A lost ledger file
therefore gives nobody a usable token.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from .schema import tokens
from .store import Ledger
from .timing import from_us, to_us

__all__ = ["ROLES", "Principal", "TokenError", "create_token", "list_tokens", "revoke_token", "verify_token"]

ROLES = ("unit", "office", "admin")
_UNIT = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,63}$")


class TokenError(Exception):
    """A token that does not authorise anything; ``code`` is stable (``unauthorized``, ``token_expired``)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's public id, its unit and its role."""

    token_id: str
    unit: str
    role: str

    @property
    def label(self) -> str:
        """How the audit log names the caller."""
        return f"{self.role}:{self.unit}:{self.token_id}"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(ledger: Ledger, unit: str, role: str, expires_days: int | None = None) -> tuple[str, str]:
    """Issue a token; return ``(token_id, secret)``. The secret is shown once and never stored."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if not _UNIT.match(unit):
        raise ValueError("unit must be a unit code (lower-case letters, digits, _ . -), e.g. finance")
    if expires_days is not None and not 0 < expires_days <= 3650:
        raise ValueError("expires must be between 1 and 3650 days")
    secret = "fxr_" + secrets.token_urlsafe(32)
    token_id = secrets.token_hex(6)
    now = datetime.now(UTC)
    expires = to_us(now + timedelta(days=expires_days)) if expires_days is not None else None
    with ledger.write() as conn:
        conn.execute(tokens.insert().values(token_id=token_id, token_hash=_hash(secret), unit=unit, role=role,
                                            created_at=now.isoformat(), expires_us=expires))
        ledger.audit(conn, "cli", "token.create", {"token_id": token_id, "unit": unit, "role": role,
                                                   "expires_days": expires_days})
    return token_id, secret


def verify_token(ledger: Ledger, secret: str) -> Principal:
    """The principal of a presented token.

    Raises:
        TokenError: unknown, revoked or expired.
    """
    if not secret.startswith("fxr_") or len(secret) > 100:
        raise TokenError("the token is not valid", "unauthorized")
    with ledger.read() as conn:
        row = conn.execute(select(tokens).where(tokens.c.token_hash == _hash(secret))).first()
    if row is None or row.revoked_at is not None:
        raise TokenError("the token is not valid", "unauthorized")
    if row.expires_us is not None and row.expires_us <= to_us(datetime.now(UTC)):
        raise TokenError("the token has expired; ask for a new one", "token_expired")
    return Principal(row.token_id, row.unit, row.role)


def list_tokens(ledger: Ledger) -> list[dict[str, Any]]:
    """Every token's public facts (never its secret or hash)."""
    with ledger.read() as conn:
        rows = conn.execute(select(tokens).order_by(tokens.c.created_at)).all()
    return [{"token_id": r.token_id, "unit": r.unit, "role": r.role, "created_at": r.created_at,
             "expires_at": from_us(r.expires_us).isoformat() if r.expires_us is not None else None,
             "revoked_at": r.revoked_at} for r in rows]


def revoke_token(ledger: Ledger, token_id: str) -> bool:
    """Revoke a token by its public id; False when there is no such live token."""
    with ledger.write() as conn:
        done = conn.execute(update(tokens).where(tokens.c.token_id == token_id, tokens.c.revoked_at.is_(None))
                            .values(revoked_at=datetime.now(UTC).isoformat())).rowcount
        if done:
            ledger.audit(conn, "cli", "token.revoke", {"token_id": token_id})
    return bool(done)
