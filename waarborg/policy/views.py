"""Public pages about the policy: the statement, its versions and what changed between them.

Every page here only reads: versions are recorded by ``waarborg policy apply``, never by a visit.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.views.decorators.http import require_GET
from pydantic import ValidationError

from waarborg.core.i18n import request_language
from waarborg.policy.diff import policy_diff
from waarborg.policy.documents import statement_context
from waarborg.policy.models import PolicyVersion
from waarborg.policy.schema import Policy
from waarborg.policy.selectors import policy_current, policy_version_get, policy_versions


def _center_url(lang: str) -> str | None:
    """The privacy center's form in the statement's language, where the center is installed."""
    try:
        return f"{reverse('center:home')}?lang={lang}"
    except NoReverseMatch:
        return None


# The statement depends only on the version, its activation, the language and the page kind,
# so each is rendered once per process (it was about six times the cost of a plain page).
_rendered: dict[tuple[object, ...], str] = {}


def _statement_page(
    request: HttpRequest,
    lang: str,
    *,
    digest: str,
    version: PolicyVersion | None,
    in_force: bool,
    policy: Policy | None = None,
) -> HttpResponse:
    """The statement of ``version``: ``in_force`` for ``/privacy`` (in force since it was last
    put in force), otherwise a version's own page (when it first took effect). Without a recorded
    version, the statement of ``policy`` (the one loaded now) without dates."""
    activated = version.activated_at if version else None
    key = (digest, activated, lang, in_force, _center_url(lang))
    html = _rendered.get(key)
    if html is None:
        if version is not None:
            try:
                policy = Policy.model_validate(version.document)
            except ValidationError:
                return _unreadable(request, version, lang)
        if policy is None:  # only a recorded version or the loaded policy is ever rendered
            return _not_found(request, lang)
        context = statement_context(policy, lang)
        context.update(version=version, short=digest[:12], center_url=key[4], in_force=in_force)
        with translation.override(lang):
            html = render_to_string("policy/statement.html", context)
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
    lang = request_language(request)
    loaded = policy_current()
    version = policy_version_get(digest=loaded.digest)
    return _statement_page(
        request, lang, digest=loaded.digest, version=version, in_force=True, policy=loaded.policy
    )


@require_GET
def version_detail(request: HttpRequest, digest: str) -> HttpResponse:
    lang = request_language(request)
    version = policy_version_get(digest=digest)
    if version is None:
        return _not_found(request, lang)
    return _statement_page(request, lang, digest=version.digest, version=version, in_force=False)


@require_GET
def versions(request: HttpRequest) -> HttpResponse:
    lang = request_language(request)
    current = policy_current().digest
    listed = policy_versions()
    rows = [(v, listed[i + 1] if i + 1 < len(listed) else None) for i, v in enumerate(listed)]
    context = {
        "lang": lang,
        "rows": rows,
        "current": current,
        "current_short": current[:12],
        "current_recorded": any(v.digest == current for v in listed),
    }
    return render(request, "policy/versions.html", context)


@require_GET
def compare(request: HttpRequest) -> HttpResponse:
    lang = request_language(request)
    old = policy_version_get(digest=request.GET.get("from", ""))
    new = policy_version_get(digest=request.GET.get("to", ""))
    if old is None or new is None:
        return _not_found(request, lang)
    changes = policy_diff(old.document, new.document, lang)
    context = {"lang": lang, "old": old, "new": new, "changes": changes}
    return render(request, "policy/compare.html", context)


def _not_found(request: HttpRequest, lang: str) -> HttpResponse:
    return render(request, "policy/not_found.html", {"lang": lang}, status=404)
