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
  The guard serves a live link itself, from `SheetLinks`: Streamlit drops a deferred
  download from its media store at the second clean-up pass, and every script run of every
  session ends with a pass, so with a few clinicians at work the file could be gone before
  the browser asked for it ("Download canceled").

`SheetLinks` is the only state kept here: for each sheet handed out, Streamlit's file id, a
SHA-256 of the owner's cookie, an expiry time, and the sheet's bytes, in memory only, until
the link expires or is revoked (at most `LINK_SECONDS`). No cookie value, nothing on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote, urlsplit


def _link_seconds() -> int:
    """How long a sheet's /media link answers after the Download click: 30 s, at most 60 s.

    `PREP_SHEET_LINK_SECONDS` may shorten it (1-60); anything else is ignored.
    """
    raw = os.environ.get("PREP_SHEET_LINK_SECONDS", "")
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= 60 else 30


LINK_SECONDS = _link_seconds()
SWEEP_SECONDS = 10  # how often Streamlit is asked to drop files no session shows any more
MAX_LINKS = 10_000  # bound on the registry, oldest dropped first
MAX_LINK_BYTES = 512 * 1024 * 1024  # bound on the bytes it holds, oldest dropped first
OWNER_COOKIE = "prep_owner"

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
_UNQUOTABLE = re.compile(r'["\\\x00-\x1f\x7f]')  # not safe inside filename="..."
CLOSED_PATHS = re.compile(r"(^|/)_stcore/metrics/?$")
MEDIA_PATH = re.compile(r"^/media/([^/]+)$")  # Streamlit's media route (not /static/media/)

Scope = dict[str, Any]
ASGIApp = Callable[..., Any]


def _digest(value: bytes | str | None) -> bytes | None:
    if value is None:
        return None
    raw = value.encode() if isinstance(value, str) else value
    return hashlib.sha256(raw).digest()


@dataclass(frozen=True)
class SheetLink:
    """One sheet handed out: what the guard answers to `/media/<name>` while the link lives."""

    name: str  # the last part of the URL Streamlit gives the browser: "<file id>.pdf"
    owner: bytes = field(repr=False)  # SHA-256 of the owner cookie
    expires: float
    content: bytes = field(repr=False)
    mimetype: str
    filename: str | None


def media_name(content: bytes, mimetype: str, filename: str | None) -> str:
    """The name Streamlit's media store gives these bytes ("<id>.pdf"), as its URL ends.

    Worked out by a scratch store of Streamlit's own class, so the id is the one
    `execute_deferred` will give the browser, without reaching into Streamlit's internals.
    """
    from streamlit.runtime.media_file_storage import MediaFileKind
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    scratch = MemoryMediaFileStorage("/media")
    file_id = scratch.load_and_get_id(content, mimetype, MediaFileKind.DOWNLOADABLE, filename)
    return scratch.get_url(file_id).rsplit("/", 1)[-1]


class SheetLinks:
    """Which sheets may be served, to which owner, until when. Thread-safe."""

    def __init__(self, lifetime: float = LINK_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.lifetime = lifetime
        self._clock = clock
        self._links: OrderedDict[tuple[str, bytes], SheetLink] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def issue(self, content: bytes, owner: str | None, mimetype: str = "application/pdf",
              filename: str | None = None) -> str | None:
        """Allow `content` to be fetched by `owner` for the next `lifetime` seconds.

        Returns the media name the link answers to, or None when there is no owner cookie
        (not served through the guard: nothing is allowed).
        """
        owner_digest = _digest(owner)
        if owner_digest is None:
            return None
        name = media_name(content, mimetype, filename)
        link = SheetLink(name, owner_digest, self._clock() + self.lifetime, content,
                         mimetype, filename)
        with self._lock:
            self._prune()
            self._drop((name, owner_digest))
            self._links[(name, owner_digest)] = link
            self._bytes += len(content)
            while len(self._links) > MAX_LINKS or self._bytes > MAX_LINK_BYTES:
                self._drop(next(iter(self._links)))
        return name

    def get(self, name: str, owner: str | None) -> SheetLink | None:
        """The live link `name` of this owner, or None."""
        owner_digest = _digest(owner)
        if owner_digest is None:
            return None
        with self._lock:
            self._prune()
            return self._links.get((name, owner_digest))

    def revoke(self, owner: str | None) -> None:
        """Forget every link of this owner at once (New patient)."""
        owner_digest = _digest(owner)
        if owner_digest is None:
            return
        with self._lock:
            for key in [k for k in self._links if k[1] == owner_digest]:
                self._drop(key)

    def __len__(self) -> int:
        with self._lock:
            self._prune()
            return len(self._links)

    def held_bytes(self) -> int:
        """How many sheet bytes the registry holds now (0 once every link has expired)."""
        with self._lock:
            self._prune()
            return self._bytes

    def _drop(self, key: tuple[str, bytes]) -> None:
        link = self._links.pop(key, None)
        if link is not None:
            self._bytes -= len(link.content)

    def _prune(self) -> None:
        now = self._clock()
        while self._links:
            key, link = next(iter(self._links.items()))
            if link.expires > now:
                break
            self._drop(key)


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
        media = MEDIA_PATH.match(path.removeprefix(self.base))
        if media:
            link = self._live_link(scope, media.group(1))
            if link is not None:
                await self._send_sheet(send, link)
                return
            found = self.read_media(media.group(1))
            if found is None or found[1]:  # a download without a live link: 404
                await self._not_found(send)
                return
        await self.app(scope, receive, self._wrap_send(scope, send))

    def _live_link(self, scope: Scope, name: str) -> SheetLink | None:
        """A download (every download here is a sheet) answers its owner's plain GET only."""
        if scope.get("method") not in ("GET",) or _header(scope, b"range"):
            return None  # the download is one plain GET; nothing else reads a sheet
        return self.links.get(name, request_cookie(scope, OWNER_COOKIE))

    async def _send_sheet(self, send: Any, link: SheetLink) -> None:
        """Answer as Streamlit's media route would for a download, plus no-store."""
        filename = link.filename or "download"
        if filename.isascii() and not _UNQUOTABLE.search(filename):
            disposition = f'attachment; filename="{filename}"'
        else:
            disposition = f"attachment; filename*=utf-8''{quote(filename, safe='')}"
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", link.mimetype.encode("latin-1")),
                                (b"content-length", str(len(link.content)).encode()),
                                (b"content-disposition", disposition.encode("latin-1")),
                                *SECURITY_HEADERS, (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": link.content})

    def _wrap_send(self, scope: Scope, send: Any) -> Any:
        give_cookie = request_cookie(scope, OWNER_COOKIE) is None

        async def guarded(message: dict[str, Any]) -> None:
            if message.get("type") == "http.response.start":
                names = {name for name, _ in SECURITY_HEADERS}
                headers = [(k, v) for k, v in message.get("headers", ())
                           if k.lower() not in names]
                headers.extend(SECURITY_HEADERS)
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
