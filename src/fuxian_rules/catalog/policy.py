"""The deployment policy: periods for words the law leaves without a number (立即, 及时, 同步 …).

No statute says how long "immediately" is, so the library does not pretend one does. Each such word is a
*term* of the policy file with a period and the reason for its default. Results that used a term say so,
and every result's receipt carries the policy's hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from fuxian_rules.errors import PolicyError
from fuxian_rules.model.rules import Period
from fuxian_rules.safe_yaml import VersionedFile, located_validation_error, read_yaml

__all__ = ["POLICY_PERIOD_KINDS", "Policy", "PolicyTerm", "load_policy"]

#: The kinds of period a policy term may set: a length of time (not a rule's follows/end_of_year/…).
POLICY_PERIOD_KINDS = ("days", "working_days", "hours", "months")


class PolicyTerm(BaseModel):
    """One word of the policy: its period (or ``none``: no due date) and why that default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    word: str
    period: Period | Literal["none"]  # the rule files' Period, limited to counted time (see below)
    reason: str = Field(min_length=4)

    @model_validator(mode="after")
    def _counted(self) -> PolicyTerm:
        if self.period != "none" and not any(getattr(self.period, k) is not None for k in POLICY_PERIOD_KINDS):
            raise ValueError(f"a policy period is exactly one of {', '.join(POLICY_PERIOD_KINDS)}")
        return self


class _PolicyFile(VersionedFile):
    terms: dict[str, PolicyTerm]


@dataclass(frozen=True)
class Policy:
    """The policy in force, with the file it came from and its hash (for the receipt)."""

    terms: dict[str, PolicyTerm]
    source: str
    sha256: str
    is_default: bool


def load_policy(path: str | Path, *, is_default: bool = False, base: Policy | None = None) -> Policy:
    """Load a policy file; terms it does not mention are taken from ``base`` (the bundled defaults).

    Raises:
        PolicyError: the file is unreadable or invalid, naming file:line and the field.
    """
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise PolicyError(f"cannot read the policy file: {exc.strerror}", file=name) from None
    src = read_yaml(raw, name, PolicyError)
    try:
        spec = _PolicyFile.model_validate(src.data)
    except ValidationError as exc:
        raise located_validation_error(exc, src, error=PolicyError) from None
    terms = dict(base.terms) if base is not None else {}
    if base is not None:
        unknown = sorted(set(spec.terms) - set(base.terms))
        if unknown:
            raise PolicyError(
                f"unknown policy term {unknown[0]!r}",
                file=name,
                line=src.line_of(("terms", unknown[0])),
                field=f"terms.{unknown[0]}",
                hint=f"known terms: {', '.join(sorted(base.terms))}",
            )
    terms.update(spec.terms)
    digest = hashlib.sha256(raw if base is None else base.sha256.encode() + raw).hexdigest()
    return Policy(terms=terms, source=name, sha256=digest, is_default=is_default)
