"""Refusing webhook targets inside private networks (SSRF protection)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlparse

from django.utils.translation import gettext as _

from heedful.core.errors import Invalid


def _is_private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    # is_global also excludes shared (carrier-grade NAT) and documentation ranges.
    return (
        not address.is_global or address.is_private or address.is_loopback
        or address.is_link_local or address.is_multicast or address.is_reserved
        or address.is_unspecified
    )


def check_target(url: str, *, allow_private: bool) -> list[str]:
    """Raise Invalid unless `url` is http(s) and (unless allowed) every address it resolves to is
    public. Returns the addresses checked (none when private targets are allowed): the caller
    connects to one of them, so a second DNS answer cannot swap in a private address."""
    try:
        parsed = urlparse(url)
        port = parsed.port
    except ValueError:
        raise Invalid(_("This is not a usable URL."),
                      fields={"url": [_("Check the host name and port.")]}) from None
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        raise Invalid(_("A webhook URL must start with http:// or https://."),
                      fields={"url": [_("Enter a full http or https URL.")]})
    if allow_private:
        return []
    try:
        infos = socket.getaddrinfo(parsed.hostname, port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise Invalid(_("The webhook host %(host)s cannot be resolved.") % {"host": parsed.hostname},
                      fields={"url": [_("Check the host name.")]}) from None
    checked = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        checked.append(str(address))
        if _is_private(address):
            raise Invalid(
                _("%(host)s points to a private, loopback or link-local address; an admin must "
                  "allow private targets for this webhook.") % {"host": parsed.hostname},
                fields={"url": [_("Use a public address.")]},
            )
    return list(dict.fromkeys(checked))
