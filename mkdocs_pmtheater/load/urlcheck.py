"""The rule for ``url`` and ``tracker``: a real absolute link, or a path on this host.

A browser does not read a link the way a regular expression does. Following the
WHATWG URL standard it drops tabs and newlines anywhere, reads ``\\`` as ``/``
in http(s) links and takes ``//host/x`` (or ``/\\host``) as a link to another
host; a redirecting server may decode ``/%5Chost`` to ``/\\host`` too. So the
value is parsed with the standard library's rules (``urllib.parse.urlsplit``,
RFC 3986; schemes compared without case) and accepted only when there is no
doubt where it goes:

* ``http://`` or ``https://`` with a host name (or IP address) and nothing
  before it (no ``user:password@``, which hides the real host);
* ``mailto:`` with an address;
* a path on this host: one ``/`` and then anything but another ``/`` or
  ``\\``, also after percent-decoding.

No value may hold whitespace, control characters or a backslash. The JSON
Schema carries a simpler pattern for editors; this module has the last word.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import unquote, urlsplit

from ..model.problems import quoted

_WEB = ("http", "https")


def _bad_character(value: str) -> str | None:
    for char in value:
        if char == "\\":
            return "a backslash ('\\'), which browsers read as '/'"
        if char.isspace() or not char.isprintable():
            return f"the character U+{ord(char):04X}, which browsers drop or misread"
    return None


def _host_problem(host: str) -> str | None:
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1].split("%", 1)[0])
        except ValueError:
            return "the address in brackets is not an IPv6 address"
        return None
    labels = host.rstrip(".").split(".")
    for label in labels:
        if not label or not all(c.isalnum() or c == "-" for c in label):
            return f"the host {quoted(host)} is not a host name"
        if label.startswith("-") or label.endswith("-"):
            return f"the host {quoted(host)} is not a host name"
    return None


def url_problem(value: str) -> tuple[str, str] | None:
    """Why ``value`` is not a link the site publishes, as (message, hint); None when it is.

    Linear in the length of ``value``; never raises.
    """
    shown = quoted(value)
    hint = ("write an absolute http(s) address such as https://tracker.example.com/PRICE-1, "
            "a mailto: address, or a path on this site starting with a single '/'")
    bad = _bad_character(value)
    if bad is not None:
        return f"{shown} is not a link this site will publish: it holds {bad}", (
            "remove it; write a space as %20" if "U+0020" in bad else
            "write the address without it" + ("; use '/' between path segments"
                                               if "backslash" in bad else ""))
    if value.startswith("/"):
        if value.startswith("//"):
            return (f"{shown} is not a path on this site: '//' starts a link to another "
                    "host", "write https://host/... for another host, or start a path on "
                    "this site with a single '/'")
        decoded = unquote(value)
        if decoded.startswith(("//", "/\\")) or "\\" in decoded:
            return (f"{shown} is not a path on this site: decoded, it starts a link to "
                    "another host or holds a backslash", "write the path without %2F or "
                    "%5C after the first '/'")
        return None
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError when the port is not a number
    except ValueError:
        return f"{shown} is not a link this site will publish: it cannot be parsed", hint
    scheme = parts.scheme.lower()
    if scheme in _WEB:
        if not value[len(scheme) + 1:].startswith("//") or not parts.hostname:
            return f"{shown} has no host after {scheme}://", hint
        if "@" in parts.netloc:
            return (f"{shown} puts a user name before the host, which hides where the link "
                    "goes", "remove the part up to '@'")
        host = parts.netloc.rsplit(":", 1)[0] if port is not None else parts.netloc
        reason = _host_problem(host)
        if reason is not None:
            return f"{shown} is not a link this site will publish: {reason}", hint
        return None
    if scheme == "mailto":
        addresses = [a for a in parts.path.split(",") if a]
        if not addresses or any(a.count("@") != 1 or a.startswith("@") or a.endswith("@")
                                for a in addresses):
            return (f"{shown} is not a mail link: mailto: needs an address",
                    "write it as mailto:oncall@example.com")
        return None
    if not parts.scheme:
        return (f"{shown} is not a link this site will publish: it has no scheme and does "
                "not start with '/'", hint)
    return (f"{shown} is not a link this site will publish: the scheme "
            f"{quoted(parts.scheme)} is not allowed", hint)
