"""What a product demands, what it may not demand, and how bad values are reported (C2, C3)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from waarborg.audit.models import AuditEntry
from waarborg.conftest import cms_policy_data, en, nl
from waarborg.gate.services import Allowed, gate_fields
from waarborg.policy.selectors import policy_current
from waarborg.vault.models import Subject
from waarborg.vault.services import subject_create, subject_update
from waarborg.vault.tests.factories import CLEAN, PRO, SIGNUP, pro_customer, pro_fields
from waarborg.vault.validation import GENDERS, InvalidFields, fields_clean

POLICY = cms_policy_data()
PRODUCTS = POLICY["products"]
REQUIRED = [
    (p, f) for p, spec in PRODUCTS.items() for f, n in spec["fields"].items() if n == "required"
]
OPTIONAL = [
    (p, f) for p, spec in PRODUCTS.items() for f, n in spec["fields"].items() if n == "optional"
]


def clean(product: str, values: dict[str, object], **kw):
    return fields_clean(policy=policy_current().policy, product=product, values=values, **kw)


def full(product: str) -> dict[str, object]:
    return {f: PRO[f] for f in PRODUCTS[product]["fields"]}


def test_both_kinds_of_field_exist_in_the_policy():
    assert {p for p, _ in REQUIRED} == set(PRODUCTS)
    assert {p for p, _ in OPTIONAL} == set(PRODUCTS)


@pytest.mark.parametrize(("product", "field"), REQUIRED, ids="-".join)
def test_a_missing_required_field_is_named(product, field):
    values = full(product)
    del values[field]
    with pytest.raises(InvalidFields) as bad:
        clean(product, values)
    assert set(bad.value.errors) == {field}
    message = bad.value.errors[field]
    assert en(message) == "This field is required for this product."
    assert nl(message) == "Dit gegeven is noodzakelijk voor dit product."


@pytest.mark.parametrize(("product", "field"), REQUIRED, ids="-".join)
def test_a_required_field_cannot_be_removed_by_an_update(product, field):
    with pytest.raises(InvalidFields) as bad:
        clean(product, {field: None}, existing=frozenset(full(product)))
    assert set(bad.value.errors) == {field}


@pytest.mark.parametrize(("product", "field"), OPTIONAL, ids="-".join)
def test_an_optional_field_is_never_demanded(product, field):
    values = full(product)
    del values[field]
    assert field not in clean(product, values)
    # ... nor when every other optional field is left out as well
    bare = {f: v for f, v in full(product).items() if (product, f) in REQUIRED}
    assert set(clean(product, bare)) == {f for p, f in REQUIRED if p == product}
    # ... and it can be removed again later
    assert clean(product, {field: None}, existing=frozenset(full(product))) == {field: None}


def test_the_free_product_refuses_a_bank_account():
    assert PRODUCTS["aplanner-free"]["paid"] is False
    with pytest.raises(InvalidFields) as bad:
        clean("aplanner-free", {**full("aplanner-free"), "iban": PRO["iban"]})
    assert set(bad.value.errors) == {"iban"}
    assert en(bad.value.errors["iban"]) == "A bank account is only accepted for a paid product."
    assert "betaald product" in nl(bad.value.errors["iban"])


def test_the_paid_product_takes_a_valid_iban_in_compact_form():
    assert clean("aplanner-pro", full("aplanner-pro"))["iban"] == "NL91ABNA0417164300"


BAD = {
    "email": ("annelies@@example", "This is not a valid e-mail address."),
    "phone": ("06-12", "This is not a valid phone number."),
    "iban": ("NL91ABNA0417164301", "This is not a valid IBAN."),
    "postcode": ("0123 AB", "This is not a valid Dutch postcode (for example 1234 AB)."),
    "gender": ("x", "Choose one of: female, male, other, not_stated."),
}


def test_every_bad_value_is_named_in_one_error_in_dutch_and_english():
    values = {**full("aplanner-pro"), **{f: bad for f, (bad, _) in BAD.items()}}
    with pytest.raises(InvalidFields) as bad:
        clean("aplanner-pro", values)
    errors = bad.value.errors
    assert set(errors) == set(BAD)
    for field, (_, english) in BAD.items():
        assert en(errors[field]) == english
        assert nl(errors[field]) != en(errors[field])
    # The exception's own text names each field, for logs and API errors alike.
    for field in BAD:
        assert f"{field}: " in str(bad.value)


@pytest.mark.parametrize(("field", "bad"), [(f, v) for f, (v, _) in BAD.items()])
def test_one_bad_value_alone_is_named_alone(field, bad):
    with pytest.raises(InvalidFields) as error:
        clean("aplanner-pro", {**full("aplanner-pro"), field: bad})
    assert set(error.value.errors) == {field}


def test_values_are_stored_in_their_normal_form():
    assert clean("aplanner-pro", full("aplanner-pro")) == CLEAN
    assert clean("aplanner-free", {"name": "  Jan   de  Boer ", "email": "Jan@Example.NL"}) == {
        "name": "Jan de Boer",
        "email": "Jan@example.nl",
    }


@pytest.mark.parametrize("gender", sorted(GENDERS))
def test_every_gender_choice_including_not_stated_is_accepted(gender):
    assert clean("aplanner-free", {**full("aplanner-free"), "gender": gender})["gender"] == gender
    assert "not_stated" in GENDERS


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"shoe_size": "44"}, "shoe_size"),
        ({"name": 42}, "name"),
        ({"name": "   "}, "name"),
        ({"city": "x" * 201}, "city"),
        ({"house_number": "twaalf"}, "house_number"),
    ],
    ids=["unknown_field", "not_text", "blank", "too_long", "house_number"],
)
def test_other_bad_input_is_named_too(values, field):
    with pytest.raises(InvalidFields) as bad:
        clean("aplanner-pro", {**full("aplanner-pro"), **values})
    assert set(bad.value.errors) == {field}


def test_an_unknown_product_is_an_error_not_a_crash():
    with pytest.raises(InvalidFields) as bad:
        clean("aplanner-gold", {"name": "A"})
    assert set(bad.value.errors) == {"product"}


@pytest.mark.django_db
def test_nothing_is_written_when_creation_is_refused():
    with pytest.raises(InvalidFields):
        subject_create(
            actor=SIGNUP, product="aplanner-pro", fields=pro_fields(iban="NL00", phone="0")
        )
    assert Subject.objects.count() == 0
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
def test_nothing_is_written_when_an_update_is_refused():
    subject = pro_customer()
    entries = AuditEntry.objects.count()
    row = Subject.objects.values("values", "email_index", "updated_at").get(id=subject.id)
    with pytest.raises(InvalidFields) as bad:
        subject_update(
            actor=SIGNUP,
            subject_id=subject.id,
            fields={"city": "Leiden", "email": "not an address", "street": None},
        )
    assert set(bad.value.errors) == {"email", "street"}
    assert Subject.objects.values("values", "email_index", "updated_at").get(id=subject.id) == row
    assert AuditEntry.objects.count() == entries
    seen = gate_fields(actor=SIGNUP, purpose="administration", subject=subject.id)
    assert isinstance(seen, Allowed)
    assert seen.fields["city"] == "Amsterdam"


FIELD_NAMES = sorted({*POLICY["fields"], "product", "shoe_size"})
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=60)
LIKELY = st.one_of(
    ANY_TEXT,
    st.from_regex(r"[0-9]{4} ?[A-Za-z]{2}", fullmatch=True),
    st.from_regex(r"\+?[0-9 ()-]{6,16}", fullmatch=True),
    st.from_regex(r"[A-Z]{2}[0-9]{2}[A-Z0-9 ]{10,30}", fullmatch=True),
    st.emails().map(str),
    st.sampled_from([*GENDERS, "", " ", "\x00", "١٢٣", "\u200b@\u200b"]),
)


def _check(product: str, values: dict[str, object]) -> bool:
    """Either clean values or InvalidFields with messages; returns whether it was clean."""
    try:
        result = clean(product, values)
    except InvalidFields as exc:
        assert exc.errors
        assert all(nl(m) != en(m) for m in exc.errors.values())
        return False
    assert set(result) == set(values)
    for value in result.values():
        assert value is None or (value and len(value) <= 200 and value == value.strip())
    # Cleaning a clean record again changes nothing: what is stored is already normal.
    kept = {k: v for k, v in result.items() if v is not None}
    assert clean(product, kept) == kept
    return True


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    product=st.sampled_from([*PRODUCTS, "unknown"]),
    values=st.dictionaries(
        st.sampled_from(FIELD_NAMES), st.one_of(LIKELY, st.none(), st.integers()), max_size=9
    ),
)
def test_fields_clean_never_crashes_on_any_record(product, values):
    _check(product, values)


@settings(max_examples=200, deadline=None)
@given(product=st.sampled_from(list(PRODUCTS)), field=st.sampled_from(FIELD_NAMES), value=LIKELY)
def test_fields_clean_never_crashes_on_any_single_value(product, field, value):
    _check(product, {**full(product), field: value})
