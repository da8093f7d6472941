"""The server's edge, tested against the running server started as `make run` starts it.

Issue #12 items 2 and 8 (hazards H80-H84): a page that must not be framed, a websocket that
opens only for the app's own origin, no metrics endpoint, and a sheet link that answers only
to the browser that generated it and only briefly. The launcher is `dashboard/serve.py`
(an `st.App` with `dashboard.web.guard.EdgeGuard`); before it existed, every test here failed.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest

from tests.browser_support import (
    SERVED,
    chromium,
    download_sheet,
    enter_factors,
    new_patient,
    prepare_sheet,
    running_app,
    wait_for_app,
)
from tests.conftest import make_factors, require_browser

LINK_SECONDS = 4  # the test server's link lifetime (PREP_SHEET_LINK_SECONDS; default 30)
PATIENT = "Ann Linkcheck"


@pytest.fixture(scope="module")
def server():
    with running_app(SERVED, env={"PREP_SHEET_LINK_SECONDS": str(LINK_SECONDS)}) as server:
        yield server


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, \
                response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


# --------------------------------------------------------------------------- headers (H81)

@pytest.mark.parametrize("path", ["/", "/_stcore/health", "/_stcore/host-config",
                                  "/no-such-page", "/media/0000.pdf"])
@pytest.mark.hazard("H81")
def test_every_answer_forbids_framing_by_another_site(server, path):
    _, headers, _ = _get(server.url + path)
    assert headers.get("x-frame-options") == "DENY"
    assert "frame-ancestors 'none'" in headers.get("content-security-policy", "")
    assert headers.get("referrer-policy") == "no-referrer"
    assert headers.get("x-content-type-options") == "nosniff"


def test_the_page_gives_the_browser_an_httponly_strict_owner_cookie(server):
    status, headers, _ = _get(server.url + "/")
    cookie = headers.get("set-cookie", "")
    assert status == 200 and cookie.startswith("prep_owner=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert len(cookie.split(";")[0].split("=", 1)[1]) >= 40  # 32 random bytes


# --------------------------------------------------------------------------- metrics (H83)

@pytest.mark.parametrize("path", ["/_stcore/metrics", "/_stcore/metrics/",
                                  "/_stcore/metrics?families=session_events"])
@pytest.mark.hazard("H83")
def test_the_metrics_endpoint_is_closed(server, path):
    status, _, body = _get(server.url + path)
    assert status == 404 and b"session" not in body


# --------------------------------------------------------------------------- websocket (H82)

def _websocket_status(server, origin: str | None) -> int:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    host = server.url.removeprefix("http://")
    try:
        with connect(f"ws://{host}/_stcore/stream", subprotocols=["streamlit"],
                     open_timeout=10, **({"origin": origin} if origin else {})):
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


@pytest.mark.hazard("H82")
def test_the_websocket_opens_for_the_apps_own_origin(server):
    assert _websocket_status(server, server.url) == 101


@pytest.mark.parametrize("origin", ["http://localhost:3000", "http://127.0.0.1:1",
                                    "http://localhost:{port}", "https://evil.example",
                                    "null", None])
@pytest.mark.hazard("H82")
def test_the_websocket_refuses_any_other_origin(server, origin):
    port = server.url.rsplit(":", 1)[1]
    assert _websocket_status(server, origin and origin.format(port=port)) == 403


# --------------------------------------------------------------------------- in a browser

@pytest.fixture(scope="module")
def browser():
    with chromium(require_browser()) as browser:
        yield browser


@pytest.mark.browser
def test_the_guarded_page_loads_all_its_own_fonts_and_assets(browser, server):
    """The guard must not refuse the page's own files (it once took /static/media/ fonts for
    the media route, and the icons came out as words)."""
    page = browser.new_page()
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400
            else None)
    try:
        page.goto(server.url)
        wait_for_app(page)
        page.evaluate("document.fonts.ready")
        states = page.evaluate("Array.from(document.fonts).filter(f => /Material/.test(f.family))"
                               ".map(f => f.status)")
        assert failed == [] and "error" not in states
    finally:
        page.close()


@pytest.mark.hazard("H81")
@pytest.mark.browser
def test_another_site_cannot_frame_the_dashboard(browser, server):
    page = browser.new_page()
    try:
        page.set_content(f'<iframe src="{server.url}/" width="900" height="600"></iframe>',
                         wait_until="load")
        framed = page.frames[1]
        assert framed.url.startswith("chrome-error://") or \
            framed.locator('[data-testid="stApp"]').count() == 0
    finally:
        page.close()


def _prepared_page(browser, server, content):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(server.url)
    wait_for_app(page)
    enter_factors(page, content, make_factors())
    prepare_sheet(page, name=PATIENT)  # tick, name, review tick, Prepare (none ticked at start)
    return context, page


def _download(page) -> tuple[bytes, str]:
    data, download = download_sheet(page)
    return data, download.url


def _status_in(context, url: str) -> int:
    return context.request.get(url, fail_on_status_code=False).status


def _until_gone(fetch, limit: float = 60.0) -> float:
    """Seconds until `fetch()` answers 404 (polled; fails the test past `limit`)."""
    began = time.monotonic()
    while time.monotonic() - began < limit:
        if fetch() == 404:
            return time.monotonic() - began
        time.sleep(0.5)
    pytest.fail(f"the sheet link still answered after {limit:.0f} s")


@pytest.mark.hazard("H80")
@pytest.mark.browser
def test_a_sheet_link_answers_only_its_own_browser_and_dies_soon_after_the_download(
        browser, server, content):
    from tests.safety_support import pdf_text

    context, page = _prepared_page(browser, server, content)
    stranger = browser.new_context()
    try:
        stranger.new_page().goto(server.url)  # a browser with its own owner cookie
        data, url = _download(page)
        assert data.startswith(b"%PDF") and PATIENT in pdf_text(data)
        assert "/media/" in url and url.endswith(".pdf")
        assert _status_in(context, url) == 200  # the tab that made it, within the window
        assert _get(url)[0] == 404  # no cookie (curl, another machine)
        assert _status_in(stranger, url) == 404  # another browser on the same server
        cookie = context.cookies()[0]
        assert _get(url, Cookie=f"{cookie['name']}=forged")[0] == 404
        assert _get(url, Cookie=f"{cookie['name']}={cookie['value']}",
                    Range="bytes=0-99")[0] == 404  # no partial reads of a sheet
        bare_id = url.removesuffix(".pdf")  # Streamlit finds a file by the id before the dot
        for other in (bare_id, bare_id + ".bin", bare_id + ".PDF"):
            assert _get(other)[0] == 404 and _status_in(stranger, other) == 404, other
        _until_gone(lambda: _status_in(context, url))
        assert page.locator(".st-key-download button").count() == 1  # the sheet is still
        again, url2 = _download(page)  # offered on screen and a new click works again
        assert again == data and _status_in(context, url2) == 200
    finally:
        stranger.close()
        context.close()


@pytest.mark.hazard("H80")
@pytest.mark.browser
def test_new_patient_kills_the_sheet_link_at_once(browser, server, content):
    context, page = _prepared_page(browser, server, content)
    try:
        _, url = _download(page)
        assert _status_in(context, url) == 200
        new_patient(page)  # New patient asks first, then clears
        page.locator(".st-key-download").wait_for(state="detached", timeout=30_000)
        wait_for_app(page)
        assert _status_in(context, url) == 404
    finally:
        context.close()


@pytest.mark.hazard("H80")
@pytest.mark.browser
def test_closing_the_tab_leaves_no_link_that_answers(browser, server, content):
    context, page = _prepared_page(browser, server, content)
    try:
        _, url = _download(page)
        page.close()
        other_tab = context.new_page()  # same browser, same cookie
        other_tab.goto(server.url)
        wait_for_app(other_tab)
        _until_gone(lambda: _status_in(context, url))
    finally:
        context.close()


# --------------------------------------------------------------------------- units, no server

class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.hazard("H80")
def test_the_shipped_link_lifetime_is_at_most_sixty_seconds():
    from dashboard.web import guard

    assert 0 < guard.LINK_SECONDS <= 60 or "PREP_SHEET_LINK_SECONDS" in __import__("os").environ
    assert guard.SheetLinks().lifetime <= 60


@pytest.mark.parametrize("raw,expected", [("", 30), ("5", 5), ("60", 60), ("61", 30),
                                          ("0", 30), ("-3", 30), ("3600", 30), ("x", 30)])
def test_the_link_lifetime_can_only_be_shortened(monkeypatch, raw, expected):
    from dashboard.web import guard

    monkeypatch.setenv("PREP_SHEET_LINK_SECONDS", raw)
    assert guard._link_seconds() == expected


@pytest.mark.hazard("H80")
def test_a_link_belongs_to_one_owner_and_expires():
    from dashboard.web.guard import SheetLinks

    clock = _Clock()
    links = SheetLinks(lifetime=30, clock=clock)
    name = links.issue(b"%PDF sheet", "owner-a", filename="sheet.pdf")
    assert name is not None and name.endswith(".pdf")
    assert links.get(name, "owner-a").content == b"%PDF sheet"
    assert links.get(name, "owner-b") is None and links.get(name, None) is None
    assert links.get(links.issue(b"%PDF other", "owner-b"), "owner-a") is None
    clock.now += 29.9
    assert links.get(name, "owner-a") is not None
    clock.now += 0.2
    assert links.get(name, "owner-a") is None and len(links) == 0
    assert links.held_bytes() == 0  # the bytes go with the link


@pytest.mark.hazard("H86")
def test_the_link_answers_to_the_name_streamlit_gives_the_download():
    """The guard serves a live link by the name in the URL that Streamlit's own deferred
    download hands the browser: the same bytes, type and file name give the same name."""
    from streamlit.runtime.media_file_storage import MediaFileKind
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    from dashboard.web.guard import SheetLinks

    store = MemoryMediaFileStorage("/media")
    for data, mime, file_name in ((b"%PDF a", "application/pdf", "discussion-sheet.pdf"),
                                  (b"PK zip", "application/zip", "clinic-day.zip"),
                                  (b"x" * 2_000_000, "application/pdf", None)):
        url = store.get_url(store.load_and_get_id(data, mime, MediaFileKind.DOWNLOADABLE,
                                                  file_name))
        assert SheetLinks().issue(data, "me", mimetype=mime, filename=file_name) == \
            url.rsplit("/", 1)[-1]


def test_two_owners_of_the_same_bytes_each_keep_their_link():
    from dashboard.web.guard import SheetLinks

    links = SheetLinks(lifetime=30, clock=_Clock())
    name = links.issue(b"%PDF same", "owner-a")
    assert links.issue(b"%PDF same", "owner-b") == name
    assert links.get(name, "owner-a") is not None and links.get(name, "owner-b") is not None


def test_revoking_an_owner_closes_only_its_links_and_no_cookie_gets_nothing():
    from dashboard.web.guard import SheetLinks

    links = SheetLinks(lifetime=30, clock=_Clock())
    a = links.issue(b"a", "owner-a")
    b = links.issue(b"b", "owner-b")
    assert links.issue(b"c", None) is None  # outside the guard: nothing is allowed
    links.revoke("owner-a")
    links.revoke(None)
    assert links.get(a, "owner-a") is None and links.get(b, "owner-b") is not None
    assert len(links) == 1 and links.held_bytes() == 1


def test_the_registry_keeps_no_cookie_and_shows_no_sheet_bytes():
    from dashboard.web.guard import SheetLinks

    links = SheetLinks()
    links.issue(b"%PDF Ann Secret", "cookie-value-123")
    held = repr(links._links)
    assert "Ann" not in held and "cookie-value" not in held


@pytest.mark.hazard("H86")
def test_the_registry_is_bounded_in_bytes(monkeypatch):
    from dashboard.web import guard

    monkeypatch.setattr(guard, "MAX_LINK_BYTES", 10)
    links = guard.SheetLinks(lifetime=30, clock=_Clock())
    first = links.issue(b"123456", "me")
    second = links.issue(b"abcdef", "me")
    assert links.get(first, "me") is None and links.get(second, "me") is not None
    assert links.held_bytes() == 6


def _asgi(guard, scope: dict) -> list[dict]:
    import asyncio
    import concurrent.futures

    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    # In a thread of its own: a module's sync Playwright may hold this thread's event loop.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, guard(scope, receive, send)).result()
    return sent


def _inner_app(calls: list):
    async def app(scope, receive, send):
        calls.append(scope["path"])
        if scope["type"] == "websocket":
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/html"), (b"x-frame-options", b"ALLOW")]})
        await send({"type": "http.response.body", "body": b"ok"})
    return app


def _scope(path: str, *headers: tuple[bytes, bytes], kind: str = "http",
           method: str = "GET") -> dict:
    return {"type": kind, "path": path, "method": method, "headers": list(headers)}


@pytest.mark.hazard("H81")
def test_the_guard_replaces_framing_headers_and_hands_out_the_cookie_once():
    from dashboard.web.guard import EdgeGuard

    calls: list = []
    guard = EdgeGuard(_inner_app(calls))
    start = _asgi(guard, _scope("/"))[0]
    headers = start["headers"]
    assert (b"x-frame-options", b"DENY") in headers and (b"x-frame-options", b"ALLOW") \
        not in headers
    assert any(k == b"set-cookie" and v.startswith(b"prep_owner=") for k, v in headers)
    again = _asgi(guard, _scope("/", (b"cookie", b"prep_owner=abc")))[0]["headers"]
    assert not any(k == b"set-cookie" for k, _ in again)


@pytest.mark.hazard("H80", "H86")
def test_the_guard_serves_a_sheet_only_to_its_owner_with_one_plain_get():
    from dashboard.web.guard import EdgeGuard, SheetLinks

    clock = _Clock()
    links = SheetLinks(lifetime=30, clock=clock)
    name = links.issue(b"%PDF x", "mine", filename='sheet "1".pdf')
    calls: list = []
    # Streamlit's store no longer has the file (its clean-up ran): the live link still answers.
    guard = EdgeGuard(_inner_app(calls), links=links, read_media=lambda name: None)
    path = f"/media/{name}"
    sent = _asgi(guard, _scope(path, (b"cookie", b"prep_owner=mine")))
    headers = dict(sent[0]["headers"])
    assert sent[0]["status"] == 200 and sent[1]["body"] == b"%PDF x"
    assert headers[b"content-type"] == b"application/pdf"
    assert headers[b"cache-control"] == b"no-store"
    assert headers[b"content-disposition"] == b"attachment; filename*=utf-8''sheet%20%221%22.pdf"
    stored = EdgeGuard(_inner_app(calls), links=links,
                       read_media=lambda name: (b"%PDF x", True))  # still in Streamlit's store
    for scope in (_scope(path), _scope(path, (b"cookie", b"prep_owner=yours")),
                  _scope(path, (b"cookie", b"prep_owner=mine"), method="HEAD"),
                  _scope(path, (b"cookie", b"prep_owner=mine"), (b"range", b"bytes=0-9")),
                  _scope(path.removesuffix(".pdf"), (b"cookie", b"prep_owner=mine")),
                  _scope("/media/abc123.pdf", (b"cookie", b"prep_owner=mine"))):
        assert _asgi(stored, scope)[0]["status"] == 404, scope
    clock.now += 31
    assert _asgi(stored, _scope(path, (b"cookie", b"prep_owner=mine")))[0]["status"] == 404
    assert calls == []  # sheets, served or refused, never reach Streamlit
    image = EdgeGuard(_inner_app([]), links=links, read_media=lambda name: (b"PNG", False))
    assert _asgi(image, _scope("/media/ab.png"))[0]["status"] == 200  # not a download
    fonts = EdgeGuard(_inner_app([]), links=links, read_media=lambda name: None)
    for path in ("/static/media/MaterialSymbols-Rounded.woff2", "/static/media/a.pdf"):
        assert _asgi(fonts, _scope(path))[0]["status"] == 200, path  # not the media route


@pytest.mark.parametrize("origin,host,allowed", [
    (b"http://127.0.0.1:8501", b"127.0.0.1:8501", True),
    (b"https://prep.hospital.example", b"prep.hospital.example", True),
    (b"http://localhost:8501", b"127.0.0.1:8501", False),
    (b"http://127.0.0.1:8502", b"127.0.0.1:8501", False),
    (b"file://", b"127.0.0.1:8501", False),
    (None, b"127.0.0.1:8501", False),
])
@pytest.mark.hazard("H82")
def test_the_guard_opens_the_websocket_only_for_the_same_origin(origin, host, allowed):
    from dashboard.web.guard import EdgeGuard

    calls: list = []
    headers = [(b"host", host)] + ([(b"origin", origin)] if origin else [])
    sent = _asgi(EdgeGuard(_inner_app(calls)), _scope("/_stcore/stream", *headers,
                                                      kind="websocket"))
    assert bool(calls) is allowed
    assert (sent == [{"type": "websocket.close", "code": 1008}]) is not allowed
