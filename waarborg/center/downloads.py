"""The download of the archive that answers access and portability: the link in the answer
opens a page with a button (mail scanners open links, and the link works once), the button
sends the archive."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from waarborg.center.views import _asked, _page
from waarborg.rights import errors
from waarborg.rights.errors import RightsError
from waarborg.rights.exports import export_download, export_downloadable
from waarborg.rights.selectors import request_state


@require_http_methods(["GET", "POST"])
def download(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    if request.method == "GET":
        if not export_downloadable(reference=reference, code=code):
            return _broken(request, reference)
        state = request_state(reference)  # the page speaks the request's language
        return _page(request, "download.html", {"reference": reference}, state=state)
    try:
        archive = export_download(reference=reference, code=code)
    except RightsError:
        return _broken(request, reference)
    response = HttpResponse(archive.data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{archive.filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _broken(request: HttpRequest, reference: str) -> HttpResponse:
    message = {"message": errors.bad_link().message}
    return _page(request, "link_broken.html", message, status=400, state=_asked(reference))
