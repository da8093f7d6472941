"""The shipped TLS proxy configuration (deploy/nginx/prep-dashboard.conf), run as shipped.

Two dashboard replicas on loopback behind nginx with a throw-away certificate; only the ports,
the certificate and the pid/log paths of the shipped file are replaced. Checked through TLS:
the headers the proxy must add, the websocket origin rule, the closed metrics endpoint,
sticky sessions (one browser always reaches the same replica, different browsers spread over
both), and a clinician's whole path in Chromium, to a downloaded sheet, through the proxy.
Skipped without nginx (apt-get install nginx-light), except in CI where .ci/run installs it.
"""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.browser_support import (
    SERVED,
    chromium,
    download_sheet,
    enter_factors,
    free_port,
    prepare_sheet,
    start_server,
    stop_server,
    terminate,
    wait_for_app,
)
from tests.conftest import ROOT, make_factors, require_browser

SHIPPED = ROOT / "deploy" / "nginx" / "prep-dashboard.conf"
UPSTREAM_HEADER = "add_header X-Test-Upstream $upstream_addr always;"  # test probe only


def _nginx() -> str:
    path = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx")
                                     else None)
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail("nginx is not installed; CI must run the proxy tests (.ci/run installs it)")
    pytest.skip("proxy test skipped: nginx is not installed (apt-get install nginx-light)")


def _render(tmp: Path, port: int, replicas: list[int]) -> Path:
    text = SHIPPED.read_text(encoding="utf-8")
    replacements = {
        "pid /run/prep-dashboard-nginx.pid;": f"pid {tmp}/nginx.pid;",
        "error_log /var/log/nginx/prep-dashboard-error.log warn;":
            f"error_log {tmp}/error.log warn;",
        "access_log /var/log/nginx/prep-dashboard.log noquery;":
            f"access_log {tmp}/access.log noquery;",
        "listen 443 ssl;": f"listen 127.0.0.1:{port} ssl;",
        "/etc/ssl/private/prep-dashboard.crt": f"{tmp}/cert.pem",
        "/etc/ssl/private/prep-dashboard.key": f"{tmp}/key.pem",
        "server 127.0.0.1:8501;": f"server 127.0.0.1:{replicas[0]};",
        "server 127.0.0.1:8502;": f"server 127.0.0.1:{replicas[1]};",
        "client_max_body_size 1m;": f"client_max_body_size 1m;\n        {UPSTREAM_HEADER}\n"
                                    f"        client_body_temp_path {tmp}/body;\n"
                                    f"        proxy_temp_path {tmp}/proxy;",
    }
    for old, new in replacements.items():
        assert text.count(old) == 1, f"the shipped proxy config changed: {old!r}"
        text = text.replace(old, new)
    conf = tmp / "nginx.conf"
    conf.write_text(text, encoding="utf-8")
    return conf


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    nginx = _nginx()
    tmp = tmp_path_factory.mktemp("proxy")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(tmp / "key.pem"),
                    "-out", str(tmp / "cert.pem")], check=True, capture_output=True,
                   timeout=120)
    # as deployment.md section 3 starts them: replicas x sheet workers = this machine's cores
    servers = [start_server(SERVED, env={"PREP_SHEET_WORKERS": "1"}) for _ in range(2)]
    port = free_port()
    conf = _render(tmp, port, [int(s.url.rsplit(":", 1)[1]) for s in servers])
    process = None
    try:
        check = subprocess.run([nginx, "-t", "-c", str(conf), "-e", str(tmp / "error.log")],
                               capture_output=True, text=True, timeout=60)
        assert check.returncode == 0, check.stderr
        process = subprocess.Popen([nginx, "-c", str(conf), "-e", str(tmp / "error.log"),
                                    "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        url = f"https://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _get(url + "/_stcore/health")[0] != 200:
            assert process.poll() is None, (tmp / "error.log").read_text()
            time.sleep(0.1)
        yield {"url": url, "replicas": [s.url.removeprefix("http://") for s in servers],
               "tmp": tmp}
    finally:
        if process is not None:
            terminate(process)
        for server in servers:
            stop_server(server)


def _context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test's own throw-away certificate
    return context


def _get(url: str, **headers: str) -> tuple[int, object, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10, context=_context()) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
    except (urllib.error.URLError, ConnectionError, OSError):
        return 0, {}, b""


@pytest.mark.hazard("H81")
def test_the_proxy_adds_every_security_header_once(proxy):
    for path in ("/", "/_stcore/health", "/_stcore/metrics", "/nothing-here"):
        _, headers, _ = _get(proxy["url"] + path)
        assert headers.get_all("X-Frame-Options") == ["DENY"], path
        assert headers.get_all("Content-Security-Policy") == ["frame-ancestors 'none'"], path
        assert headers.get_all("Strict-Transport-Security") == ["max-age=31536000"], path
        assert headers.get_all("Referrer-Policy") == ["no-referrer"], path
        assert headers.get_all("X-Content-Type-Options") == ["nosniff"], path


@pytest.mark.hazard("H83")
def test_the_proxy_closes_metrics_and_keeps_query_strings_out_of_its_log(proxy):
    assert _get(proxy["url"] + "/_stcore/metrics")[0] == 404
    assert _get(proxy["url"] + "/?patient=ZZMARKER")[0] == 200
    time.sleep(0.2)  # nginx writes its log line after the answer
    log = (proxy["tmp"] / "access.log").read_text()
    assert "GET /" in log and "ZZMARKER" not in log


def _websocket_status(proxy, origin: str | None, cookie: str = "") -> int:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    headers = {"Cookie": cookie} if cookie else {}
    try:
        with connect(proxy["url"].replace("https://", "wss://") + "/_stcore/stream",
                     subprotocols=["streamlit"], ssl=_context(), open_timeout=15,
                     additional_headers=headers, **({"origin": origin} if origin else {})):
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


@pytest.mark.hazard("H82")
def test_the_proxy_opens_the_websocket_only_for_its_own_origin(proxy):
    assert _websocket_status(proxy, proxy["url"]) == 101
    for origin in ("https://evil.example", proxy["url"].replace("https", "http"),
                   "https://127.0.0.1:1", None):
        assert _websocket_status(proxy, origin) == 403, origin


def _upstream(proxy, cookie: str) -> str:
    _, headers, _ = _get(proxy["url"] + "/_stcore/health", Cookie=cookie)
    return headers.get("X-Test-Upstream", "")


@pytest.mark.hazard("H85")
def test_each_browser_sticks_to_one_replica_and_browsers_spread_over_both(proxy):
    cookies = [f"prep_owner=browser{i:03d}" for i in range(40)]
    chosen = {cookie: _upstream(proxy, cookie) for cookie in cookies}
    assert set(chosen.values()) == set(proxy["replicas"])  # both replicas serve
    for cookie in cookies[:10]:
        assert {_upstream(proxy, cookie) for _ in range(5)} == {chosen[cookie]}


@pytest.mark.hazard("H85")
@pytest.mark.browser
def test_a_clinician_downloads_a_sheet_through_the_proxy(proxy, content):
    from tests.safety_support import pdf_text

    with chromium(require_browser()) as browser:
        context = browser.new_context(accept_downloads=True, ignore_https_errors=True,
                                      viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.goto(proxy["url"])
        wait_for_app(page)
        enter_factors(page, content, make_factors())
        prepare_sheet(page, name="Ann Proxy", timeout=60_000)  # none is ticked at start
        data, download = download_sheet(page)
        assert data.startswith(b"%PDF") and "Ann Proxy" in pdf_text(data)
        cookie = next(c for c in context.cookies() if c["name"] == "prep_owner")
        assert cookie["secure"] and cookie["httpOnly"]  # Secure: the proxy says https
        assert _get(download.url)[0] == 404  # not for a request without the browser's cookie
        context.close()
