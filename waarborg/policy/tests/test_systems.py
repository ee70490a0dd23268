"""The policy's ``systems`` (where requests are carried out) and its purpose that answers
requests: checked when the file is read, each problem named with its place."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from waarborg.conftest import cms_policy_data
from waarborg.policy.loader import PolicyInvalid, policy_parse
from waarborg.policy.rules import policy_systems


def _load(change: Any) -> Any:
    data = cms_policy_data()
    change(data)
    return policy_parse(yaml.safe_dump(data, allow_unicode=True), name="edited.yaml")


def _problems(change: Any) -> str:
    with pytest.raises(PolicyInvalid) as invalid:
        _load(change)
    return invalid.value.report()


def _webhook(**entry: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        data["systems"]["crm"] = {
            "connector": "webhook",
            "name": {"nl": "Klantsysteem", "en": "Customer system"},
            **entry,
        }

    return change


def test_the_cms_policy_carries_out_requests_in_the_vault_alone():
    policy = _load(lambda d: None).policy
    assert list(policy_systems(policy)) == ["vault"]
    assert policy.purposes["rights"].data_subject_requests


def test_without_a_systems_section_the_vault_is_the_one_system():
    policy = _load(lambda d: d.pop("systems")).policy
    assert [s.connector for s in policy_systems(policy).values()] == ["vault"]


def test_a_webhook_needs_a_url_and_the_variable_of_its_secret():
    report = _problems(_webhook())
    assert "systems.crm.url: a webhook needs a url" in report
    assert "systems.crm.secret_env: a webhook needs the variable that holds its secret" in report


def test_a_webhook_speaks_https_except_on_this_machine():
    secret = {"secret_env": "CRM_SECRET"}
    report = _problems(_webhook(url="http://crm.example.nl/hook", **secret))
    assert "a webhook url must be https://" in report
    assert _load(_webhook(url="http://127.0.0.1:8080/hook", **secret)).policy.systems["crm"]
    assert _load(_webhook(url="https://crm.example.nl/hook", **secret)).policy.systems["crm"]


def test_a_secret_never_sits_in_the_policy_and_unknown_keys_are_refused():
    report = _problems(_webhook(url="https://crm.example.nl/h", secret="hunter2"))
    assert "systems.crm.secret" in report


def test_only_a_legal_obligation_answers_requests_and_only_one_purpose_does():
    def two(data: dict[str, Any]) -> None:
        data["purposes"]["newsletter"]["data_subject_requests"] = True

    report = _problems(two)
    assert "purposes.rights.data_subject_requests: only one purpose answers requests" in report
    assert "purposes.newsletter.basis: answering requests is a legal obligation" in report
