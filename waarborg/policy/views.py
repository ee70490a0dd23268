"""Public pages about the policy: the statement, its versions and what changed between them."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.views.decorators.http import require_GET
from pydantic import ValidationError

from waarborg.policy.diff import policy_diff
from waarborg.policy.documents import statement_context
from waarborg.policy.models import PolicyVersion
from waarborg.policy.schema import Policy
from waarborg.policy.selectors import policy_current, policy_version_get, policy_versions
from waarborg.policy.services import policy_version_record


def request_lang(request: HttpRequest) -> str:
    """``?lang=nl|en`` wins; otherwise the language negotiated from ``Accept-Language``."""
    asked = request.GET.get("lang", "")
    if asked in ("nl", "en"):
        return asked
    return "en" if getattr(request, "LANGUAGE_CODE", "nl").startswith("en") else "nl"


def _center_url() -> str | None:
    try:
        return reverse("center:home")
    except NoReverseMatch:
        return None


# The statement depends only on the version, its activation, the language and the page kind,
# so each is rendered once per process (it was about six times the cost of a plain page).
_rendered: dict[tuple[object, ...], str] = {}


def _render_statement(
    request: HttpRequest, version: PolicyVersion, lang: str, *, in_force: bool
) -> HttpResponse:
    """The statement of ``version``: ``in_force`` for ``/privacy`` (in force since it was last
    put in force), otherwise a version's own page (when it first took effect)."""
    key = (version.digest, version.activated_at, lang, in_force, _center_url())
    html = _rendered.get(key)
    if html is None:
        try:
            policy = Policy.model_validate(version.document)
        except ValidationError:
            return _unreadable(request, version, lang)
        context = statement_context(policy, lang)
        context.update(version=version, center_url=key[4], in_force=in_force)
        with translation.override(lang):
            html = render_to_string(f"policy/statement_{lang}.html", context)
        if len(_rendered) >= 64:
            _rendered.clear()
        _rendered[key] = html
    response = HttpResponse(html)
    response["Content-Language"] = lang
    response["Vary"] = "Accept-Language"
    return response


def _unreadable(request: HttpRequest, version: PolicyVersion, lang: str) -> HttpResponse:
    """A version stored in a format this code no longer reads: say so plainly, never a 500."""
    context = {"lang": lang, "version": version, "current": policy_current().digest[:12]}
    response = render(request, "policy/unreadable.html", context)
    response["Content-Language"] = lang
    return response


@require_GET
def statement(request: HttpRequest) -> HttpResponse:
    version, _ = policy_version_record(loaded=policy_current())
    return _render_statement(request, version, request_lang(request), in_force=True)


@require_GET
def version_detail(request: HttpRequest, digest: str) -> HttpResponse:
    lang = request_lang(request)
    version = policy_version_get(digest=digest)
    if version is None:
        return _not_found(request, lang)
    return _render_statement(request, version, lang, in_force=False)


@require_GET
def versions(request: HttpRequest) -> HttpResponse:
    lang = request_lang(request)
    loaded = policy_current()
    policy_version_record(loaded=loaded)
    listed = policy_versions()
    rows = [(v, listed[i + 1] if i + 1 < len(listed) else None) for i, v in enumerate(listed)]
    context = {"lang": lang, "rows": rows, "current": loaded.digest}
    return render(request, "policy/versions.html", context)


@require_GET
def compare(request: HttpRequest) -> HttpResponse:
    lang = request_lang(request)
    old = policy_version_get(digest=request.GET.get("from", ""))
    new = policy_version_get(digest=request.GET.get("to", ""))
    if old is None or new is None:
        return _not_found(request, lang)
    changes = policy_diff(old.document, new.document, lang)
    return render(
        request,
        "policy/compare.html",
        {"lang": lang, "old": old, "new": new, "changes": changes},
    )


def _not_found(request: HttpRequest, lang: str) -> HttpResponse:
    message = "That version does not exist." if lang == "en" else "Die versie bestaat niet."
    return render(request, "policy/not_found.html", {"lang": lang, "message": message}, status=404)
