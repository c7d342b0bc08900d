"""What stands between the marking server and everyone else: the access token, the Host header,
a CSRF check on every change, and the headers every response carries.

- Nothing is served without the token: given once in the address (`?token=…`, which is then
  swapped for a cookie and taken out of the address), as that cookie (HttpOnly, SameSite=Strict),
  or as `Authorization: token …`. A wrong or missing token gets 403 and nothing else.
- Bound to a loopback address, the server answers only requests addressed to a loopback name, so
  a web page cannot reach it by pointing its own domain at 127.0.0.1 (DNS rebinding).
- Every request that changes anything is a POST of an URL-encoded form carrying the CSRF value
  (derived from the token, so a page that cannot read ours cannot know it), sent from our own
  origin (Origin and Sec-Fetch-Site, when the browser sends them, must say so). The form is read
  here, capped in size, and handed to the route parsed.
- Student text is hostile: pages escape it, and the Content-Security-Policy forbids any script
  but our own file, inline handlers included, any fetch elsewhere, and framing.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_FORM_BYTES = 4 * 2**20  # a grid of a large class with comments fits in far less
MAX_FIELDS = 20_000

# Our pages: only our own script and style files; nothing inline, nothing elsewhere.
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
          "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def report_policy(style_hashes: list[str]) -> str:
    """The reports and the class page, as `grade` writes them: no script at all, their one style
    element by its hash, and style attributes (bar widths, the pictures' SVG), which cannot run
    anything and, with nothing allowed to load, cannot fetch anything either."""
    hashes = " ".join(f"'sha256-{h}'" for h in style_hashes)
    return ("default-src 'none'; script-src 'none'; style-src 'self' " + hashes + "; style-src-attr 'unsafe-inline'; "
            "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    # Not "no-referrer": under it a browser sends `Origin: null` with our own forms.
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]


def csrf_value(token: str) -> str:
    return hmac.new(token.encode(), b"grader-serve-csrf", hashlib.sha256).hexdigest()


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_name(value: str) -> str:
    """The name in a Host header, without its port ("[::1]:8765" -> "::1")."""
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class Guard:
    """ASGI middleware: the token, the Host check, the CSRF check and the common headers."""

    def __init__(self, app: ASGIApp, token: str, cookie: str, loopback_only: bool) -> None:
        self.app = app
        self.token = token
        self.cookie = cookie
        self.csrf = csrf_value(token)
        self.loopback_only = loopback_only

    def _valid(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            return  # no websockets here
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + \
                    [(k, v) for k, v in HEADERS if k not in names] + \
                    ([(b"content-security-policy", POLICY.encode())] if b"content-security-policy" not in names else [])
            await send(message)

        host = headers.get("host", "")
        if self.loopback_only and not is_loopback(_host_name(host)):
            await _plain(with_headers, 403, "Refused: this server answers only to a loopback address.")
            return
        method = scope["method"]
        if method not in ("GET", "HEAD", "POST"):
            await _plain(with_headers, 405, "Method not allowed.")
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = query.get("token", [None])[0]
        if given is not None and method in ("GET", "HEAD"):
            if not self._valid(given):
                await _plain(with_headers, 403, "Forbidden: a wrong token.")
                return
            # The token leaves the address for a cookie: not kept in history, never sent on.
            rest = urlencode([(k, v) for k, vs in query.items() if k != "token" for v in vs])
            path = "/" + quote(scope.get("path", "/").lstrip("/"), safe="/-._~")  # never `//elsewhere`
            target = path + (f"?{rest}" if rest else "")
            cookie = f"{self.cookie}={self.token}; Path=/; HttpOnly; SameSite=Strict"
            await with_headers({"type": "http.response.start", "status": 303,
                                "headers": [(b"location", target.encode("latin-1")), (b"set-cookie", cookie.encode()),
                                            (b"content-length", b"0")]})
            await with_headers({"type": "http.response.body", "body": b""})
            return
        auth = headers.get("authorization", "")
        if not (self._valid(_cookie(headers.get("cookie", ""), self.cookie)) or
                (auth.lower().startswith("token ") and self._valid(auth[6:].strip()))):
            await _plain(with_headers, 403, "Forbidden: this server needs its access token. Open the address "
                                            "'grader serve' printed, with its ?token=.")
            return
        if method == "POST":
            problem, form = await self._form(scope, headers, receive)
            if problem is not None:
                await _plain(with_headers, 403 if problem.startswith("Forbidden") else 400, problem)
                return
            scope.setdefault("state", {})["form"] = form
        await self.app(scope, receive, with_headers)

    async def _form(self, scope: Scope, headers: dict[str, str], receive: Receive
                    ) -> tuple[str | None, dict[str, list[str]]]:
        origin = headers.get("origin")
        if origin is not None and origin != f"http://{headers.get('host', '')}":
            return "Forbidden: a change asked for from another site.", {}
        if headers.get("sec-fetch-site", "same-origin") != "same-origin":
            return "Forbidden: a change asked for from another site.", {}
        if headers.get("content-type", "").split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
            return "Forbidden: changes are sent as forms of our own pages.", {}
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > MAX_FORM_BYTES:
                return f"Refused: a form over {MAX_FORM_BYTES // 2**20} MiB.", {}
            if not message.get("more_body"):
                break
        try:
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                            max_num_fields=MAX_FIELDS)
        except (UnicodeDecodeError, ValueError):
            return "Refused: a form that is not UTF-8 or has too many fields.", {}
        if not hmac.compare_digest(form.get("csrf", [""])[0].encode(), self.csrf.encode()):
            return "Forbidden: the form's CSRF value is missing or wrong; reload the page and try again.", {}
        return None, form


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


async def _plain(send: Send, status: int, text: str) -> None:
    body = (text + "\n").encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
