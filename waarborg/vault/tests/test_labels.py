"""Every column of every waarborg model says whether it holds personal data, and which category."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps

from waarborg.conftest import cms_policy_data

POLICY = cms_policy_data()
# "policy.fields": a JSON column keyed by policy field names, each value of that field's category.
PSEUDO_CATEGORIES = {"policy.fields"}


def our_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m.__module__.startswith("waarborg.")]


def problems(model: type[models.Model]) -> list[str]:
    """What is wrong with a model's labels; empty when every column is labelled correctly."""
    columns = {f.name for f in model._meta.concrete_fields}
    personal = dict(getattr(model, "PERSONAL", {}))
    label: Any = getattr(model, "NOT_PERSONAL", set())
    if label is True:
        return [f"{model.__name__}: NOT_PERSONAL = True but PERSONAL is set"] if personal else []
    not_personal = set(label)
    found = []
    for column in sorted(columns - set(personal) - not_personal):
        found.append(f"{model.__name__}.{column} is not labelled")
    for column in sorted((set(personal) | not_personal) - columns):
        found.append(f"{model.__name__}.{column} is labelled but is not a column")
    for column in sorted(set(personal) & not_personal):
        found.append(f"{model.__name__}.{column} is labelled both personal and not personal")
    for column, category in sorted(personal.items()):
        if category not in POLICY["categories"] and category not in PSEUDO_CATEGORIES:
            found.append(f"{model.__name__}.{column}: {category!r} is not a policy category")
    return found


def _label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


@pytest.mark.parametrize("model", our_models(), ids=_label)
def test_every_column_is_labelled(model):
    assert problems(model) == []


def test_the_walk_finds_the_vault_and_the_audit_log():
    labels = {_label(m) for m in our_models()}
    assert {"vault.Subject", "vault.PurposeState", "audit.AuditEntry", "audit.AuditSeal"} <= labels


@isolate_apps("waarborg.vault")
def test_the_check_catches_an_unlabelled_or_mislabelled_column():
    class Probe(models.Model):
        secret = models.CharField(max_length=10)
        phone = models.CharField(max_length=10)

        PERSONAL = {"phone": "user.contact.telephone"}
        NOT_PERSONAL = {"id", "ghost"}

        class Meta:
            app_label = "vault"

        def __str__(self) -> str:
            return "probe"

    assert problems(Probe) == [
        "Probe.secret is not labelled",
        "Probe.ghost is labelled but is not a column",
        "Probe.phone: 'user.contact.telephone' is not a policy category",
    ]


def test_the_vault_labels_its_personal_columns_with_policy_categories():
    from waarborg.vault.models import Subject

    assert Subject.PERSONAL == {
        "values": "policy.fields",
        "email_index": "user.contact.email",
        "phone_index": "user.contact.phone",
    }
    assert "wrapped_dek" in Subject.NOT_PERSONAL  # a key, useless without the KEK
