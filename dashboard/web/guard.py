"""What the server adds around Streamlit (issue #12 items 2 and 8; hazards H80-H84).

Streamlit 1.67 serves the dashboard through Starlette and lets an `st.App` launcher add ASGI
middleware (`dashboard/serve.py`, started by `make run`). `EdgeGuard` is that middleware:

* every HTTP answer says the page must not be framed by another site
  (`Content-Security-Policy: frame-ancestors 'none'` and `X-Frame-Options: DENY`), sends no
  Referer and no MIME sniffing;
* the websocket (`/_stcore/stream`) opens only for the app's own origin: an `Origin` header
  whose host and port are the `Host` the browser asked for. Streamlit's own check also lets in
  any `localhost`/`127.0.0.1` origin on any port, so a page on another local port could drive
  a session;
* `/_stcore/metrics` (session counts and timings) answers 404 to everyone;
* a prepared sheet (`/media/<id>.pdf`) answers only to the browser whose tab generated it,
  and only for `LINK_SECONDS` after the click; then 404. A browser is recognised by an
  unguessable, HttpOnly, SameSite=Strict cookie that this middleware gives it with the page.

`SheetLinks` is the only state kept here: for each sheet handed out, a SHA-256 of its bytes,
a SHA-256 of the owner's cookie and an expiry time. No patient data, no PDF bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit


def _link_seconds() -> int:
    """How long a sheet's /media link answers after the Download click: 30 s, at most 60 s.

    `PREP_SHEET_LINK_SECONDS` may shorten it (1-60); anything else is ignored.
    """
    raw = os.environ.get("PREP_SHEET_LINK_SECONDS", "")
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= 60 else 30


LINK_SECONDS = _link_seconds()
SWEEP_SECONDS = 10  # how often Streamlit is asked to drop files no session shows any more
MAX_LINKS = 10_000  # bound on the registry, oldest dropped first
OWNER_COOKIE = "prep_owner"

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
CLOSED_PATHS = re.compile(r"(^|/)_stcore/metrics/?$")
MEDIA_PATH = re.compile(r"^/media/([^/]+)$")  # Streamlit's media route (not /static/media/)

Scope = dict[str, Any]
ASGIApp = Callable[..., Any]


def _digest(value: bytes | str | None) -> bytes | None:
    if value is None:
        return None
    raw = value.encode() if isinstance(value, str) else value
    return hashlib.sha256(raw).digest()


class SheetLinks:
    """Which sheet bytes may be served, to which owner, until when. Thread-safe."""

    def __init__(self, lifetime: float = LINK_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.lifetime = lifetime
        self._clock = clock
        self._links: OrderedDict[bytes, tuple[bytes, float]] = OrderedDict()
        self._lock = threading.Lock()

    def issue(self, content: bytes, owner: str | None) -> None:
        """Allow `content` to be fetched by `owner` for the next `lifetime` seconds."""
        owner_digest = _digest(owner)
        if owner_digest is None:  # no cookie (not served through the guard): nothing to allow
            return
        key = _digest(content)
        assert key is not None
        with self._lock:
            self._prune()
            self._links.pop(key, None)
            self._links[key] = (owner_digest, self._clock() + self.lifetime)
            while len(self._links) > MAX_LINKS:
                self._links.popitem(last=False)

    def allows(self, content: bytes, owner: str | None) -> bool:
        owner_digest = _digest(owner)
        if owner_digest is None:
            return False
        with self._lock:
            self._prune()
            entry = self._links.get(_digest(content) or b"")
        return entry is not None and hmac.compare_digest(entry[0], owner_digest)

    def revoke(self, owner: str | None) -> None:
        """Forget every link of this owner at once (New patient)."""
        owner_digest = _digest(owner)
        if owner_digest is None:
            return
        with self._lock:
            for key in [k for k, (o, _) in self._links.items() if o == owner_digest]:
                del self._links[key]

    def __len__(self) -> int:
        with self._lock:
            self._prune()
            return len(self._links)

    def _prune(self) -> None:
        now = self._clock()
        while self._links:
            key, (_, expires) = next(iter(self._links.items()))
            if expires > now:
                break
            del self._links[key]


LINKS = SheetLinks()  # one per server process, shared by the screen and the middleware


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def request_cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    jar = SimpleCookie()
    with contextlib.suppress(Exception):
        jar.load(raw)
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


def same_origin(scope: Scope) -> bool:
    """The websocket's Origin names exactly the host (and port) the request was sent to."""
    origin, host = _header(scope, b"origin"), _header(scope, b"host")
    if not origin or not host:
        return False
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


def _default_media_reader(name: str) -> tuple[bytes, bool] | None:
    """What Streamlit would serve for /media/<name> (any extension, or none: Streamlit looks
    files up by the id before the dot), through its public read_file: (bytes, is a download)."""
    from streamlit import runtime

    if not runtime.exists():
        return None
    manager = runtime.get_instance().media_file_mgr
    if not manager.can_read_files:
        return None
    from streamlit.runtime.media_file_storage import MediaFileKind

    found = manager.read_file(name)
    if found is None:
        return None
    download = found.kind == MediaFileKind.DOWNLOADABLE or found.mimetype == "application/pdf"
    return found.content, download


class EdgeGuard:
    """ASGI middleware for `st.App(middleware=[Middleware(EdgeGuard)])`."""

    def __init__(self, app: ASGIApp, links: SheetLinks = LINKS,
                 read_media: Callable[[str], tuple[bytes, bool] | None] = _default_media_reader,
                 base_url_path: str = "") -> None:
        self.app = app
        self.links = links
        self.read_media = read_media
        base = base_url_path.strip("/")  # Streamlit's server.baseUrlPath, from the launcher
        self.base = f"/{base}" if base else ""

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        kind = scope.get("type")
        if kind == "websocket":
            if not same_origin(scope):
                await send({"type": "websocket.close", "code": 1008})  # HTTP 403 before accept
                return
            await self.app(scope, receive, send)
            return
        if kind != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if CLOSED_PATHS.search(path):
            await self._not_found(send)
            return
        download = False
        media = MEDIA_PATH.match(path.removeprefix(self.base))
        if media:
            found = self.read_media(media.group(1))
            download = found is not None and found[1]
            if found is None or (download and not self._sheet_allowed(scope, found[0])):
                await self._not_found(send)
                return
        await self.app(scope, receive, self._wrap_send(scope, send, no_store=download))

    def _sheet_allowed(self, scope: Scope, content: bytes) -> bool:
        """A download (every download here is a sheet) answers its owner's plain GET only."""
        if scope.get("method") not in ("GET",) or _header(scope, b"range"):
            return False  # the download is one plain GET; nothing else reads a sheet
        return self.links.allows(content, request_cookie(scope, OWNER_COOKIE))

    def _wrap_send(self, scope: Scope, send: Any, *, no_store: bool) -> Any:
        give_cookie = request_cookie(scope, OWNER_COOKIE) is None

        async def guarded(message: dict[str, Any]) -> None:
            if message.get("type") == "http.response.start":
                names = {name for name, _ in SECURITY_HEADERS}
                if no_store:
                    names.add(b"cache-control")
                headers = [(k, v) for k, v in message.get("headers", ())
                           if k.lower() not in names]
                headers.extend(SECURITY_HEADERS)
                if no_store:
                    headers.append((b"cache-control", b"no-store"))
                content_type = dict(headers).get(b"content-type", b"")
                if give_cookie and content_type.startswith(b"text/html"):
                    headers.append((b"set-cookie", _owner_cookie(scope)))
                message = {**message, "headers": headers}
            await send(message)

        return guarded

    async def _not_found(self, send: Any) -> None:
        await send({"type": "http.response.start", "status": 404,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", b"9"), *SECURITY_HEADERS,
                                (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": b"Not found"})


def _owner_cookie(scope: Scope) -> bytes:
    secure = "; Secure" if (_header(scope, b"x-forwarded-proto") == "https"
                            or scope.get("scheme") == "https") else ""
    return (f"{OWNER_COOKIE}={secrets.token_urlsafe(32)}; Path=/; HttpOnly; "
            f"SameSite=Strict{secure}").encode()


@contextlib.asynccontextmanager
async def sweep_media(_app: Any, every: float = SWEEP_SECONDS):
    """st.App lifespan: ask Streamlit every few seconds to drop files no session shows.

    A sheet made by the deferred download is shown by no session, so Streamlit's own clean-up
    (two passes: mark, then delete) frees it at the second pass; without this task a pass
    happens only when some session finishes a script run, which on an idle server is never.
    """
    async def loop() -> None:
        from streamlit import runtime

        while True:
            await asyncio.sleep(every)
            if runtime.exists():
                await asyncio.to_thread(runtime.get_instance().media_file_mgr
                                        .remove_orphaned_files)

    task = asyncio.create_task(loop())
    try:
        yield None
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
