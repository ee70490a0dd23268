"""Whatever someone does to a policy file, loading it either works or says where and why.

Hypothesis edits the CMS policy at random, at any depth: delete a key, replace a value with a
random scalar, list or mapping, replace a text with random text, rename a key, add a key, move a
value from elsewhere. It also mangles the YAML text line by line. Every outcome must be a usable
policy or ``PolicyInvalid`` whose errors each name a path and a line inside the file; any other
exception is a bug.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from waarborg.conftest import POLICY_FILE
from waarborg.policy.diff import policy_diff
from waarborg.policy.documents import register_rows, statement_context
from waarborg.policy.loader import LoadedPolicy, PolicyInvalid, policy_parse

CMS_TEXT = POLICY_FILE.read_text(encoding="utf-8")
CMS = yaml.safe_load(CMS_TEXT)
CMS_DOCUMENT = policy_parse(CMS_TEXT, name="cms.yaml").document
NAME = "edited.yaml"
BOUNDED = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.sampled_from(["", "consent", "user.contact", "aplanner-pro", "required", "NL", "-1"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
keys = st.one_of(
    st.text(max_size=12), st.sampled_from(["name", "basis", "nl", "en", "from", "paid", "user"])
)


def _subtrees(node: Any) -> list[Any]:
    out = [node]
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    for child in children:
        out.extend(_subtrees(child))
    return out


SUBTREES = _subtrees(CMS)


@st.composite
def edited_policies(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(CMS)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        parent: Any = data
        while True:  # walk down to a random depth
            children = list(parent) if isinstance(parent, dict) else list(range(len(parent)))
            if not children:
                break
            key = draw(st.sampled_from(children))
            child = parent[key]
            descend = draw(st.integers(min_value=0, max_value=4)) > 0  # leaves are deep
            if isinstance(child, dict | list) and child and descend:
                parent = child
                continue
            _edit(draw, parent, key)
            break
    return data


def _edit(draw: st.DrawFn, parent: Any, key: Any) -> None:
    op = draw(st.sampled_from(["delete", "replace", "rename", "add", "move", "retext"]))
    if op == "retext" and isinstance(parent[key], str):  # often still valid: reaches the documents
        parent[key] = draw(st.text(min_size=1, max_size=30))
    elif op == "delete":
        del parent[key]
    elif op == "replace":
        parent[key] = draw(values)
    elif op == "move":  # a value that is valid somewhere else in the policy
        parent[key] = copy.deepcopy(draw(st.sampled_from(SUBTREES)))
    elif isinstance(parent, dict) and op == "rename":
        parent[draw(keys)] = parent.pop(key)
    elif isinstance(parent, dict):
        parent[draw(keys)] = draw(values)
    else:
        parent.insert(key, draw(values))


def _dump(data: Any) -> str:
    # libyaml's dumper when present: the pure-Python one would be most of this test's time.
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(data, Dumper=dumper, allow_unicode=True, sort_keys=False)


def _outcome(text: str) -> LoadedPolicy | PolicyInvalid:
    try:
        return policy_parse(text, name=NAME)
    except PolicyInvalid as exc:
        return exc


def _assert_explained(outcome: PolicyInvalid, text: str) -> None:
    assert outcome.errors, "rejected without a reason"
    last_line = text.count("\n") + 1
    for error in outcome.errors:
        assert error.file == NAME
        assert error.path and error.message
        assert 1 <= error.line <= last_line, str(error)
        assert str(error).startswith(f"{NAME}:{error.line}: {error.path}: ")


def _assert_usable(loaded: LoadedPolicy) -> None:
    """An accepted policy yields its statement, its register and a diff without error."""
    for lang in ("nl", "en"):
        statement_context(loaded.policy, lang)
        assert len(register_rows(loaded.policy, lang)) == len(loaded.policy.purposes)
        policy_diff(CMS_DOCUMENT, loaded.document, lang)


@BOUNDED
@given(edited_policies())
def test_it_accepts_or_explains_any_edit_of_a_valid_policy(data):
    text = _dump(data)
    outcome = _outcome(text)
    event("accepted" if isinstance(outcome, LoadedPolicy) else "rejected")
    if isinstance(outcome, PolicyInvalid):
        _assert_explained(outcome, text)
    else:
        _assert_usable(outcome)


LINES = CMS_TEXT.splitlines(keepends=True)


@settings(BOUNDED, max_examples=100)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(LINES) - 1),
            st.sampled_from(["delete", "duplicate", "indent", "dedent", "truncate"]),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_it_accepts_or_explains_any_mangled_line(edits):
    lines = list(LINES)
    for index, op in edits:
        index %= len(lines)
        line = lines[index]
        if op == "delete":
            del lines[index]
        elif op == "duplicate":
            lines.insert(index, line)
        elif op == "indent":
            lines[index] = "  " + line
        elif op == "dedent":
            lines[index] = line[2:] if line.startswith("  ") else line
        else:
            lines[index] = line[: len(line) // 2] + "\n"
        if not lines:
            break
    text = "".join(lines)
    outcome = _outcome(text)
    if isinstance(outcome, PolicyInvalid):
        _assert_explained(outcome, text)
    else:
        _assert_usable(outcome)


def test_the_unedited_policy_is_accepted_through_the_same_dump():
    # The property above starts from this: a valid policy, dumped the same way, still loads.
    loaded = policy_parse(_dump(CMS), name=NAME)
    assert loaded.digest == policy_parse(CMS_TEXT, name=NAME).digest


def _reported(text: str) -> list[str]:
    outcome = _outcome(text)
    assert isinstance(outcome, PolicyInvalid)
    return [str(e) for e in outcome.errors]


def test_it_reports_an_alias_that_contains_itself():
    errors = _reported(CMS_TEXT + "loop: &loop [*loop]\n")
    last = len(LINES) + 1
    assert f"{NAME}:{last}: loop[0]: an alias refers to the value that contains it" in errors


def test_it_refuses_aliases_that_expand_without_bound():
    text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)
    )
    [error] = _reported(text)
    assert error.startswith(f"{NAME}:")
    assert "(yaml): the file expands to more than 200000 values (through aliases)" in error


def test_it_reads_merge_keys_like_any_other_mapping():
    text = CMS_TEXT.replace("    paid: true\n    fields:\n", "    paid: true\n    fields: &pro\n")
    text = text.replace(
        "      iban: required\n",
        "      iban: required\n"
        "  aplanner-team:\n"
        "    name: {nl: Aplanner Team, en: Aplanner Team}\n"
        "    paid: true\n"
        "    fields: {<<: *pro, phone: required}\n",
    )
    products = policy_parse(text, name=NAME).policy.products
    assert products["aplanner-team"].fields == {
        **products["aplanner-pro"].fields,
        "phone": "required",
    }


def test_it_reports_values_nested_too_deeply():
    depth = 900
    text = CMS_TEXT + "deep: " + "[" * depth + "]" * depth + "\n"
    [error] = _reported(text)
    assert error == f"{NAME}:1: (yaml): values are nested too deeply"
