"""Read a policy file, validate it and report every problem as ``FILE:LINE: path: message``."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from waarborg.policy.checks import policy_problems, policy_unconfirmed, raw_reference_problems
from waarborg.policy.schema import Policy, localized

Loc = tuple[str | int, ...]
# libyaml reads a policy several times faster than the pure-Python parser; both give the same nodes.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class PolicyError:
    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.path}: {self.message}"


class PolicyInvalid(Exception):
    """The policy file cannot be used; ``errors`` lists every reason."""

    def __init__(self, errors: list[PolicyError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors

    def report(self) -> str:
        return "\n".join(str(e) for e in self.errors)


@dataclass(frozen=True)
class LoadedPolicy:
    policy: Policy
    digest: str
    document: dict[str, Any]
    source: Path
    # Values still to be confirmed by the controller, one line each (``to_confirm`` in the file).
    warnings: tuple[PolicyError, ...] = ()
    # What code works out from this policy alone and asks again on every request (the gate: an
    # actor's refusal for a purpose, the fields a purpose reads); it goes when the policy does.
    derived: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


def dotted(loc: Loc) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif _PLAIN.match(item):
            parts.append(("." if parts else "") + item)
        else:
            parts.append(f"[{item!r}]")
    return "".join(parts) or "(top)"


class _Reader:
    """Turn YAML nodes into plain values while remembering the line of every path.

    A path's line is the line of its key, so a problem with a whole section (a missing key, a
    rule on the section) points at the section's heading. Values PyYAML cannot construct (a date
    such as 2024-02-30) and aliases that refer to themselves are reported, not raised.
    """

    MAX_NODES = 200_000  # aliases can expand a small file exponentially ("billion laughs")

    def __init__(self, loader: yaml.SafeLoader) -> None:
        self.loader = loader
        self.lines: dict[Loc, int] = {}
        self.problems: list[tuple[Loc, int, str]] = []
        self.bad: set[Loc] = set()
        self._open: set[int] = set()
        self._merged: dict[int, int] = {}
        self._count = 0

    def value(self, node: yaml.Node, loc: Loc) -> Any:
        self.lines.setdefault(loc, node.start_mark.line + 1)
        self._count += 1
        if self._count > self.MAX_NODES:
            raise _TooLarge(node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            if id(node) in self._open:
                self._problem(loc, node, "an alias refers to the value that contains it")
                return None
            self._open.add(id(node))
            try:
                if isinstance(node, yaml.MappingNode):
                    return self._mapping(node, loc)
                return [self.value(item, (*loc, i)) for i, item in enumerate(node.value)]
            finally:
                self._open.discard(id(node))
        try:
            return self.loader.construct_object(node, deep=True)
        except Exception as exc:  # PyYAML raises ValueError & co. for values like 2024-02-30
            if isinstance(exc, ValueError | yaml.YAMLError):
                detail = getattr(exc, "problem", None) or str(exc)
            else:
                detail = f"not a valid {node.tag.rsplit(':', 1)[-1]}"
            self._problem(loc, node, f"cannot read this value ({node.value!r}): {detail}")
            return None

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[Any, Any]:
        if id(node) not in self._merged:  # resolve merge keys (<<: *anchor), once per node
            own = sum(1 for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge")
            self.loader.flatten_mapping(node)
            self._merged[id(node)] = len(node.value) - own
        merged = self._merged[id(node)]
        result: dict[Any, Any] = {}
        own_keys: set[Any] = set()
        for i, (key_node, value_node) in enumerate(node.value):
            key = self.loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int) or isinstance(key, bool):
                key = str(key)
            if i >= merged:  # a key written here may override a merged one, not repeat itself
                if key in own_keys:
                    self._problem((*loc, key), key_node, "duplicate key")
                own_keys.add(key)
            self.lines[(*loc, key)] = key_node.start_mark.line + 1
            result[key] = self.value(value_node, (*loc, key))
        return result

    def _problem(self, loc: Loc, node: yaml.Node, message: str) -> None:
        self.problems.append((loc, node.start_mark.line + 1, message))
        self.bad.add(loc)


class _TooLarge(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


def _line(lines: dict[Loc, int], loc: Loc) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _parse(text: str, name: str) -> tuple[Any, _Reader]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        reader = _Reader(loader)
        data = reader.value(node, ()) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        error = PolicyError(name, line, "(yaml)", f"YAML syntax error: {problem}")
        raise PolicyInvalid([error]) from None
    except RecursionError:
        error = PolicyError(name, 1, "(yaml)", "values are nested too deeply")
        raise PolicyInvalid([error]) from None
    except _TooLarge as exc:
        message = f"the file expands to more than {_Reader.MAX_NODES} values (through aliases)"
        raise PolicyInvalid([PolicyError(name, exc.line, "(yaml)", message)]) from None
    finally:
        loader.dispose()
    return data, reader


def _pydantic_errors(exc: ValidationError) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown key (not part of the policy format)"
        elif err["type"] == "literal_error":
            message = f"{err['msg']}, not {err['input']!r}"
        out.append((loc, message))
    return out


def policy_parse(text: str, *, name: str) -> LoadedPolicy:
    """Validate the text of a policy file; raise ``PolicyInvalid`` listing every problem."""
    data, reader = _parse(text, name)
    errors = [PolicyError(name, line, dotted(loc), msg) for loc, line, msg in reader.problems]
    if not isinstance(data, dict):
        errors.append(PolicyError(name, 1, "(top)", "the policy must be a mapping of sections"))
        raise PolicyInvalid(errors)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        reported = list(reader.bad)
        for loc, msg in _pydantic_errors(exc):
            if any(loc[: len(bad)] == bad for bad in reader.bad):
                continue  # already reported where the YAML was read
            errors.append(PolicyError(name, _line(reader.lines, loc), dotted(loc), msg))
            reported.append(loc)
        # The references that can be checked without a valid structure, so that one run
        # reports both kinds; a value already reported above is not reported twice.
        for loc, msg in raw_reference_problems(data):
            if not any(loc[: len(done)] == done for done in reported):
                errors.append(PolicyError(name, _line(reader.lines, loc), dotted(loc), msg))
        raise PolicyInvalid(sorted(errors, key=lambda e: e.line)) from None
    for loc, msg in policy_problems(policy):
        errors.append(PolicyError(name, _line(reader.lines, loc), dotted(loc), msg))
    if errors:
        raise PolicyInvalid(sorted(errors, key=lambda e: e.line))
    document = policy.model_dump(mode="json", by_alias=True)
    warnings = tuple(
        # The line of the marker itself: where the maintainer edits once the value is confirmed.
        PolicyError(
            name,
            _line(reader.lines, (*loc, "to_confirm")),
            dotted(loc),
            f"to be confirmed: {localized(why, 'en')}",
        )
        for loc, why in policy_unconfirmed(policy)
    )
    return LoadedPolicy(
        policy=policy,
        digest=policy_digest(document),
        document=document,
        source=Path(name),
        warnings=warnings,
    )


def policy_digest(document: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON: key order, spacing and comments do not change it."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def policy_read(path: Path) -> LoadedPolicy:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        error = PolicyError(str(path), 1, "(file)", f"cannot read: {exc.strerror}")
        raise PolicyInvalid([error]) from None
    except UnicodeDecodeError:
        raise PolicyInvalid([PolicyError(str(path), 1, "(file)", "not UTF-8 text")]) from None
    return policy_parse(text, name=str(path))
