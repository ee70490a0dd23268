"""The client address of a request, the one place that reads ``X-Forwarded-For``.

Behind a reverse proxy every request comes from the proxy's address; the client's is in
``X-Forwarded-For``, which any client can also send itself. So the header is believed only when
the request comes from a proxy named in ``WAARBORG_TRUSTED_PROXIES``, and only as far as
trusted proxies wrote it: walking from the right, the first address that is not a trusted proxy
is the client. Rate limits and login pauses count per this address."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address

from django.conf import settings
from django.http import HttpRequest


def _trusted(address: IPv4Address | IPv6Address) -> bool:
    return any(address in network for network in settings.WAARBORG_TRUSTED_PROXIES)


def _parse(text: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(text.strip())
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The address of whoever sent ``request``; ``REMOTE_ADDR`` unless a trusted proxy sent it."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    peer = _parse(remote)
    if peer is None or not _trusted(peer):
        return remote
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    hops = [hop for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            # Something no proxy of ours writes: what lies left of it cannot be believed, and
            # the last trusted hop is the best we know.
            return remote
        if not _trusted(address):
            return str(address)
        remote = str(address)
    return remote
