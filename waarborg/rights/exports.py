"""The archive that answers access (Art. 15) and portability (Art. 20), and its download.

One zip per request: ``index.html``, a page to read (in the request's language) with the data,
the Art. 15(1)(a)-(h) information from the policy, the consent and objection history and who
accessed the data; ``data.json`` with the same for a machine and ``access_log.csv`` with every
entry of the log; for portability ``portability.json`` and CSV files of what the person provided
and what was observed under consent or contract. The archive is sealed in the database until it
is downloaded, once, through the link in the answer (valid 7 days); then it is emptied."""

from __future__ import annotations

import csv
import hmac
import io
import json
import secrets
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from waarborg.connectors.registry import system_name, vault_key
from waarborg.core.actors import Actor
from waarborg.gate.records import gate_event
from waarborg.gate.requesters import RIGHTS
from waarborg.gate.requests import gate_blob_open, gate_blob_seal
from waarborg.gate.words import ACTIONS, EVENTS, words
from waarborg.policy.documents import purpose_views
from waarborg.policy.rules import purpose_covers_field
from waarborg.policy.schema import Policy, localized
from waarborg.policy.selectors import policy_current
from waarborg.rights import errors
from waarborg.rights.codes import code_digest, reference_clean
from waarborg.rights.models import Export, Request, Step
from waarborg.rights.payloads import payload_open

EXPORT_DAYS = 7
DOWNLOAD_PATH = "/privacy/center/download"
CONSENT_KINDS = {"consent_given", "consent_confirmed", "consent_withdrawn"}


@dataclass(frozen=True)
class Part:
    rows: list[dict[str, Any]]
    documents: dict[str, Any]
    log: bytes


def export_archive(request: Request, retrieves: list[Step]) -> bytes:
    """The zip for ``request`` from what its retrieve steps handed over."""
    parts = {s.system: Part(*payload_open(s)) for s in retrieves if s.status == Step.Status.DONE}
    vault = parts.pop(vault_key(), Part([], {}, b""))
    failed = [s.system for s in retrieves if s.status == Step.Status.FAILED]
    kinds = set(request.kinds)
    policy = policy_current().policy
    lang = "en" if request.language == "en" else "nl"
    values = {r["field"]: r["value"] for r in vault.rows}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        page = _page(request, policy, lang, vault, values, parts, failed)
        zf.writestr("index.html", page)
        if Request.Kind.ACCESS in kinds:
            data = _data(request, policy, vault, values, parts)
            zf.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=1))
            zf.writestr("access_log.csv", vault.log, compresslevel=1)
        if Request.Kind.PORTABILITY in kinds:
            _portability(zf, policy, vault, values, parts)
    return buffer.getvalue()


def _applicable(policy: Policy, record: dict[str, Any]) -> list[str]:
    """The purposes that concern a person of this kind and product."""
    kind, product = record.get("kind", ""), record.get("product", "")
    return [
        k
        for k, p in policy.purposes.items()
        if kind in p.subject_kinds and (p.products is None or product in p.products)
    ]


def _labelled(policy: Policy, values: dict[str, str], lang: str) -> list[tuple[str, str]]:
    return [(localized(policy.fields[f].label, lang), v) for f, v in values.items()]


def _page(
    request: Request,
    policy: Policy,
    lang: str,
    vault: Part,
    values: dict[str, str],
    others: dict[str, Part],
    failed: list[str],
) -> str:
    docs = vault.documents
    record = docs.get("record", {})
    purposes = _applicable(policy, record)
    with translation.override(lang):
        context = {
            "lang": lang,
            "request": request,
            "access": Request.Kind.ACCESS in request.kinds,
            "portability": Request.Kind.PORTABILITY in request.kinds,
            "controller": policy.controller,
            "authority": policy.controller.supervisory_authority,
            "values": _labelled(policy, values, lang),
            "record": record,
            "product": _product(policy, record, lang),
            "purposes": purpose_views(policy, purposes, lang),
            "events": [_event(policy, e, lang) for e in docs.get("events", [])],
            "acceptances": docs.get("acceptances", []),
            "summary": [_access(policy, e, lang) for e in docs.get("access_summary", [])],
            "recent": [_access(policy, e, lang) for e in docs.get("access_recent", [])],
            "others": [(_name(k, lang), _table(p.rows)) for k, p in others.items()],
            "failed": [_name(k, lang) for k in failed],
            "made": timezone.localtime(),
        }
        return render_to_string("rights/export/index.html", context)


def _name(key: str, lang: str) -> str:
    name = system_name(key)
    return localized(name, lang) if name else key


def _product(policy: Policy, record: dict[str, Any], lang: str) -> str:
    product = policy.products.get(record.get("product", ""))
    return localized(product.name, lang) if product else ""


def _purpose_name(policy: Policy, key: str, lang: str) -> str:
    spec = policy.purposes.get(key)
    return localized(spec.name, lang) if spec else key


def _when(moment: str) -> str:
    """A logged moment as the person reads it: the day and the minute in the Netherlands."""
    try:
        at = datetime.fromisoformat(moment)
    except (TypeError, ValueError):
        return str(moment)[:16]
    if timezone.is_naive(at):  # the database's own text of a UTC moment (SQLite)
        at = at.replace(tzinfo=UTC)
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def _event(policy: Policy, event: dict[str, Any], lang: str) -> dict[str, Any]:
    return {
        **event,
        "at": _when(event["at"]),
        "purpose_name": _purpose_name(policy, event["purpose"], lang),
        "what": words(EVENTS, event["kind"]),
    }


def _access(policy: Policy, entry: dict[str, Any], lang: str) -> dict[str, Any]:
    return {
        **entry,
        "who": _who(entry["who"]),
        "at": _when(entry["at"]) if "at" in entry else "",
        "last": _when(entry["last"]) if "last" in entry else "",
        "purpose_name": _purpose_name(policy, entry["purpose"], lang) if entry["purpose"] else "",
        "what": words(ACTIONS, entry["action"]),
        "decision": _decision(entry.get("decision", "")),
    }


def _who(who: str) -> str:
    """Who a log entry names, in words for the person (``access_log.csv`` keeps the actor as
    logged): staff by role is "a staff member", a job of ours, a system by its name."""
    kind, _sep, name = who.partition(":")
    if kind == "staff":
        return _("a staff member")
    if kind == "subject":
        return _("you, or someone in your name, through our forms")
    if kind == "job":
        return _("our own automated processing")
    if kind == "system":
        return _("the system %(name)s") % {"name": name}
    return who


def _decision(decision: str) -> str:
    answers = {"allowed": pgettext("log", "allowed"), "refused": pgettext("log", "refused")}
    return answers.get(decision, decision)


def _table(rows: list[dict[str, Any]]) -> dict[str, Any]:
    columns = list(dict.fromkeys(k for r in rows for k in r))
    return {"columns": columns, "rows": [[r.get(c, "") for c in columns] for r in rows]}


def _data(
    request: Request, policy: Policy, vault: Part, values: dict[str, str], others: dict[str, Part]
) -> dict[str, Any]:
    docs = vault.documents
    record = docs.get("record", {})
    return {
        "request": {"reference": request.reference, "received_at": request.received_at.isoformat()},
        "controller": {
            "name": policy.controller.legal_name,
            "contact": policy.controller.contact_email,
        },
        "record": record,
        "values": values,
        "purposes": [
            {
                "purpose": k,
                "basis": policy.purposes[k].basis,
                "categories": policy.purposes[k].categories,
                "recipients": policy.purposes[k].recipients,
                "retention": policy.purposes[k].retention.model_dump(by_alias=True),
            }
            for k in _applicable(policy, record)
        ],
        "events": docs.get("events", []),
        "acceptances": docs.get("acceptances", []),
        "access_log": "access_log.csv",
        "other_systems": {k: p.rows for k, p in others.items()},
    }


def _provided(policy: Policy, record: dict[str, Any], values: dict[str, str]) -> dict[str, str]:
    """The values the person provided under consent or contract (Art. 20(1)(a))."""
    specs = [
        policy.purposes[k]
        for k in _applicable(policy, record)
        if policy.purposes[k].basis in ("consent", "contract")
    ]
    return {
        f: v for f, v in values.items() if any(purpose_covers_field(policy, s, f) for s in specs)
    }


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    columns = list(dict.fromkeys(k for r in rows for k in r))
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _portability(
    zf: zipfile.ZipFile,
    policy: Policy,
    vault: Part,
    values: dict[str, str],
    others: dict[str, Part],
) -> None:
    record = vault.documents.get("record", {})
    provided = _provided(policy, record, values)
    consents = [
        {k: e[k] for k in ("purpose", "kind", "at", "channel", "text_version", "source")}
        for e in vault.documents.get("events", [])
        if e["kind"] in CONSENT_KINDS
    ]
    data = {"provided": provided, "observed": {"consents": consents}}
    data["other_systems"] = {k: p.rows for k, p in others.items()}
    zf.writestr("portability.json", json.dumps(data, ensure_ascii=False, indent=1))
    rows = [{"field": f, "value": v} for f, v in provided.items()]
    zf.writestr("portability/provided.csv", _csv(rows))
    zf.writestr("portability/consents.csv", _csv(consents))
    for key, part in others.items():
        zf.writestr(f"portability/{key}.csv", _csv(part.rows))


def export_label(reference: str) -> str:
    return f"rights.export:{reference}"


def export_store(request: Request, archive: bytes) -> Export:
    """Keep the archive, sealed, in the caller's transaction (once per request)."""
    sealed = gate_blob_seal(data=archive, label=export_label(request.reference))
    export, _created = Export.objects.update_or_create(
        request=request,
        defaults={"archive": sealed, "size": len(archive), "created_at": timezone.now()},
    )
    return export


def export_link(request: Request) -> tuple[str, datetime] | None:
    """A new single-use link to the archive and until when it works, for the letter being sent
    (only the code's digest is kept; an older link stops working). None when there is none."""
    code = secrets.token_urlsafe(18)
    expires = timezone.now() + timedelta(days=EXPORT_DAYS)
    changed = Export.objects.filter(
        request=request, archive__isnull=False, downloaded_at__isnull=True
    ).update(code_digest=code_digest(code), expires_at=expires)
    if not changed:
        return None
    return f"{settings.WAARBORG_PUBLIC_URL}{DOWNLOAD_PATH}/{request.reference}/{code}", expires


@dataclass(frozen=True)
class Download:
    filename: str
    data: bytes


def export_download(*, reference: str, code: str) -> Download:
    """The archive behind a link, once: the link then stops working and the archive is gone."""
    with transaction.atomic():
        export = (
            Export.objects.select_for_update()
            .select_related("request")
            .filter(request__reference=reference_clean(reference))
            .first()
        )
        now = timezone.now()
        valid = (
            export is not None
            and export.archive is not None
            and export.code_digest
            and export.expires_at is not None
            and export.expires_at > now
            and hmac.compare_digest(export.code_digest, code_digest(code))
        )
        if not valid or export is None or export.archive is None:
            raise errors.bad_link()
        reference = export.request.reference
        data = gate_blob_open(sealed=bytes(export.archive), label=export_label(reference))
        export.archive, export.code_digest, export.downloaded_at = None, "", now
        export.save(update_fields=["archive", "code_digest", "downloaded_at"])
        gate_event(
            actor=Actor(kind="subject", name="requester"),
            action="rights.download",
            subject_id=export.request.subject_id,
            purpose=RIGHTS,
            detail={"request": reference, "size": export.size},
        )
    return Download(filename=f"{reference}.zip", data=data)


def exports_expire(*, now: datetime | None = None) -> int:
    """Empty the archives whose link ran out unused, and those never mailed within twice the
    link's life; how many. For the worker."""
    now = now or timezone.now()
    stale = Export.objects.filter(archive__isnull=False, expires_at__lt=now)
    unsent = Export.objects.filter(
        archive__isnull=False,
        expires_at__isnull=True,
        created_at__lt=now - timedelta(days=2 * EXPORT_DAYS),
    )
    return stale.update(archive=None, code_digest="") + unsent.update(archive=None)


def export_downloadable(*, reference: str, code: str) -> bool:
    """Whether the link still works (without using it): for the page that offers the download
    behind a button, since mail scanners open links."""
    export = Export.objects.filter(request__reference=reference_clean(reference)).first()
    return bool(
        export is not None
        and export.archive is not None
        and export.code_digest
        and export.expires_at is not None
        and export.expires_at > timezone.now()
        and hmac.compare_digest(export.code_digest, code_digest(code))
    )
