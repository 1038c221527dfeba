"""Safe, line-aware YAML reading for the files a deployment supplies.

Rule files, the unit registry and the policy file come from other systems and must be treated as
untrusted. This reader uses only PyYAML's *safe* composer, refuses aliases and anchors (the classic
"billion laughs" bomb) and duplicate keys (YAML silently keeps the last one, which would hide an
editing mistake in a legal text), and records the line of every value so that later validation
errors can say ``file:line``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from fuxian_rules.errors import CatalogError, LoadError

__all__ = ["MAX_BYTES", "Located", "VersionedFile", "flow_too_deep", "located_validation_error", "read_yaml"]

# Error codes (docs/errors.md): the same problem has the same code in every kind of file.
TOO_LARGE = "FR-YAML-001"
NOT_UTF8 = "FR-YAML-002"
ALIAS = "FR-YAML-003"
SYNTAX = "FR-YAML-004"
TOO_DEEP = "FR-YAML-005"
BAD_KEY = "FR-YAML-006"
DUPLICATE_KEY = "FR-YAML-007"
BAD_VALUE = "FR-YAML-008"
INVALID = "FR-FILE-001"  # a value does not fit the file's schema (pydantic)

#: Files larger than this are refused before parsing: no rule file is anywhere near it.
MAX_BYTES = 2 * 1024 * 1024
#: Nesting deeper than this is refused: rule files are a few levels deep.
MAX_DEPTH = 32


#: libyaml's parser where PyYAML was built with it (about ten times faster: the catalogue is read at
#: every start of every worker), else the pure-Python one; both are only parsers and composers here.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_FLOW = re.compile(r"[\[\]{}\n]")


def flow_too_deep(text: str, limit: int = MAX_DEPTH) -> int | None:
    """The line at which brackets open more than ``limit`` levels deep, or None.

    PyYAML's scanner re-examines every open flow level at every token, so ``[[[[…`` costs time quadratic
    in its depth (400 KB of ``[`` ran for minutes) before any error; and nesting deeper than Python's
    stack ends in a ``RecursionError``. A linear pass over the brackets finds such a file first. It
    counts brackets inside quoted text too, which only a file with dozens of unmatched ``[`` in its
    prose could notice.
    """
    depth = 0
    line = 1
    for m in _FLOW.finditer(text):
        ch = m.group()
        if ch == "\n":
            line += 1
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return line
        elif depth:
            depth -= 1
    return None


@dataclass
class Located:
    """A parsed YAML document with the line of each value.

    Attributes:
        data: The plain Python value (dicts, lists, str, int, float, bool, None, date).
        file: The file name used in error messages.
        lines: Maps a path (tuple of keys and list indexes) to the 1-based line where its value starts.
    """

    data: Any
    file: str
    lines: dict[tuple[str | int, ...], int] = field(default_factory=dict)
    name: Callable[[tuple[str | int, ...]], str | None] = field(default=lambda path: dotted(path), repr=False)

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        """Return the line of ``path``, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def dotted(path: tuple[str | int, ...]) -> str | None:
    """A field path as rule files name it: ``rules.0.period`` (None for the document itself)."""
    return ".".join(str(p) for p in path) or None


def indexed(path: tuple[str | int, ...]) -> str | None:
    """A field path with list indexes in brackets, as calendar files name it: ``holidays[0].date``."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out or None


def read_yaml(text: str | bytes, file: str, error: type[LoadError] = LoadError,
              name: Callable[[tuple[str | int, ...]], str | None] = dotted) -> Located:
    """Parse one YAML document safely, raising ``error`` (a :class:`LoadError`) with file:line.

    This is the one YAML reader of the project: rule files, the vocabulary, units, citations, coverage,
    the policy file, calendar files and scenario files all come through it.

    Args:
        text: The file's contents. Bytes must be UTF-8.
        file: The name to show in errors.
        error: The subclass of :class:`LoadError` to raise, so that a policy file's problems are
            :class:`~fuxian_rules.errors.PolicyError` and so on.
        name: How the file format names a field from its path (:func:`dotted` or :func:`indexed`).
    """
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise error(f"file is larger than {MAX_BYTES} bytes", file=file, hint="split it up", code=TOO_LARGE)
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise error(
                f"not valid UTF-8 at byte {exc.start}",
                file=file,
                line=exc.object[: exc.start].count(b"\n") + 1,
                hint="save the file as UTF-8",
                code=NOT_UTF8,
            ) from None
    if len(text) > MAX_BYTES:
        raise error(f"file is larger than {MAX_BYTES} bytes", file=file, hint="split it up", code=TOO_LARGE)
    deep = flow_too_deep(text)
    if deep is not None:
        raise error(f"nesting deeper than {MAX_DEPTH} levels", file=file, line=deep,
                    hint="these files are a few levels deep", code=TOO_DEEP)
    try:
        for event in yaml.parse(text, Loader=_LOADER):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                raise error(
                    "YAML anchors and aliases are not allowed",
                    file=file,
                    line=event.start_mark.line + 1 if event.start_mark else None,
                    hint="write the value out in full",
                    code=ALIAS,
                )
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        if "maximum nesting depth" in str(exc.problem):  # libyaml's own bound on block nesting
            raise error(f"nesting deeper than {MAX_DEPTH} levels", file=file, line=line,
                        hint="these files are a few levels deep", code=TOO_DEEP) from None
        raise error(f"YAML syntax error: {exc.problem or exc}", file=file, line=line, code=SYNTAX,
                    hint="fix the YAML syntax; the file must be one YAML document") from None
    except yaml.reader.ReaderError as exc:  # a control character: not "marked", but its position is known
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise error(f"control character U+{code:04X} is not allowed in YAML", file=file, line=line,
                    hint="remove the control character", code=SYNTAX) from None
    except yaml.YAMLError as exc:
        raise error(f"YAML error: {exc}", file=file, code=SYNTAX, hint="save the file as UTF-8 YAML") from None
    except RecursionError:  # block nesting hundreds deep: PyYAML composes recursively
        raise error(f"nesting deeper than {MAX_DEPTH} levels", file=file,
                    hint="these files are a few levels deep", code=TOO_DEEP) from None
    located = Located(data=None, file=file, name=name)
    if node is None:
        located.lines[()] = 1  # an empty document: errors about it point at line 1
        return located
    # A constructor per file: it remembers every node it built, so a shared one would keep every value
    # of every file ever read (an engine reloaded in a loop grew by megabytes each time).
    located.data = _build(node, (), located, error, 0, yaml.constructor.SafeConstructor())
    return located


def _build(
    node: yaml.Node,
    path: tuple[str | int, ...],
    out: Located,
    error: type[LoadError],
    depth: int,
    scalars: yaml.constructor.SafeConstructor,
) -> Any:
    line = node.start_mark.line + 1
    out.lines[path] = line
    if depth > MAX_DEPTH:
        raise error(f"nesting deeper than {MAX_DEPTH} levels", file=out.file, line=line, code=TOO_DEEP,
                    hint="files are a few levels deep")
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                raise error("mapping keys must be plain names (no merge keys)", file=out.file, line=key_line,
                            field=out.name(path), code=BAD_KEY, hint="write each key out as a name")
            try:
                key = str(scalars.construct_object(key_node, deep=True))
            except (yaml.YAMLError, ValueError) as exc:
                raise error(f"bad key: {exc}", file=out.file, line=key_line, field=out.name(path), code=BAD_KEY,
                            hint="keys are plain names") from None
            if key in result:
                raise error(
                    f"duplicate key {key!r} (first at line {out.lines[(*path, key)]})",
                    file=out.file,
                    line=key_line,
                    field=out.name((*path, key)),
                    hint="YAML keeps only the last one; remove or rename the other",
                    code=DUPLICATE_KEY,
                )
            result[key] = _build(value_node, (*path, key), out, error, depth + 1, scalars)
            out.lines[(*path, key)] = key_line  # point errors at the key, where a reader looks
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(v, (*path, i), out, error, depth + 1, scalars) for i, v in enumerate(node.value)]
    if isinstance(node, yaml.ScalarNode):
        try:
            return scalars.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as exc:  # ValueError: a date such as 2024-02-30
            raise error(f"invalid value: {exc}", file=out.file, line=line, field=out.name(path),
                        hint="dates are written YYYY-MM-DD", code=BAD_VALUE) from None
    raise error("unsupported YAML node (aliases are not allowed)", file=out.file, line=line, code=ALIAS)


def located_validation_error(exc: ValidationError, src: Located, prefix: tuple[str | int, ...] = (),
                             error: type[LoadError] = CatalogError) -> LoadError:
    """Turn the first pydantic error into ``error`` (a :class:`LoadError`) naming file:line and the field.

    The one converter from pydantic's errors to ours, for every file validated against a model.
    """
    err = exc.errors()[0]
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    path = (*prefix, *loc)
    hint = None
    if err["type"] == "extra_forbidden":
        hint = "remove the key or check its spelling"
    elif err["type"] == "missing":
        hint = "add the key"
    msg = err["msg"].removeprefix("Value error, ")
    return error(
        msg, code=INVALID, file=src.file, line=src.line_of(path), field=src.name(path),
        hint=hint,
    )


class VersionedFile(BaseModel):
    """The top of every data file (vocabulary, units, policy, coverage): strict keys and ``version: 1``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]


_File = TypeVar("_File", bound=BaseModel)


def load_model_file(path: str | Path, model: type[_File], error: type[LoadError], what: str
                    ) -> tuple[_File, bytes, Located]:
    """Read a deployment file (policy, units …) into ``model``: the file's bytes, the safe reader, file:line errors.

    Args:
        path: The file.
        model: The pydantic model of its top level.
        error: The error class to raise (a :class:`LoadError`).
        what: What the file is, in the error message ("the policy file", "units file").

    Returns:
        The validated model, the raw bytes (for the receipt's hash) and the located YAML.
    """
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise error(f"cannot read {what}: {exc.strerror}", file=name) from None
    src = read_yaml(raw, name, error)
    try:
        return model.model_validate(src.data), raw, src
    except ValidationError as exc:
        raise located_validation_error(exc, src, error=error) from None
