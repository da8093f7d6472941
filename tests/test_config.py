"""Hardened configuration (SEC-1, PRIV-1, PRIV-8, PRIV-11, SEC-7, SEC-9, SEC-10).

Three layers: the shipped `.streamlit/config.toml`, what Streamlit actually reads (also when the
user has a hostile `~/.streamlit/config.toml`), and the laptop launcher (`make run`). Plus the
dependency pins and the CI audit that must never report a pass it did not get.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import subprocess
import sys
import tomllib

import pytest

from tests.conftest import ROOT

CONFIG = ROOT / ".streamlit" / "config.toml"

# (section.option, required value, why)
HARDENED = [
    ("browser.gatherUsageStats", False, "PRIV-1: no telemetry"),
    ("client.showErrorDetails", "none", "PRIV-8: no exception text in the browser"),
    ("client.toolbarMode", "viewer", "no developer menu for clinicians"),
    ("client.disableDataExport", True, "PRIV-11: no CSV export of tables"),
    ("server.address", "127.0.0.1", "SEC-9: laptop mode listens on loopback only"),
    ("server.allowedHosts", ["localhost", "127.0.0.1"], "SEC-9: no DNS rebinding"),
    ("server.enableXsrfProtection", True, "SEC: XSRF protection on"),
    ("server.enableCORS", True, "SEC: CORS protection on"),
    ("server.enableStaticServing", False, "no static file serving"),
    ("server.headless", True, "no browser launch or e-mail prompt"),
    ("server.fileWatcherType", "none", "no reloading of source files in use"),
    ("server.maxUploadSize", 1, "PRIV-6/SEC-7: no uploads, smallest limit"),
    ("logger.level", "warning", "PRIV-8: no info logging"),
    ("runner.enforceSerializableSessionState", True, "nothing unpicklable in session state"),
]
HOSTILE_USER_CONFIG = """
[browser]
gatherUsageStats = true
[client]
showErrorDetails = "full"
toolbarMode = "developer"
disableDataExport = false
[server]
address = "0.0.0.0"
enableXsrfProtection = false
enableCORS = false
enableStaticServing = true
maxUploadSize = 200
allowedHosts = ["*"]
[logger]
level = "debug"
"""


def _shipped() -> dict:
    return tomllib.loads(CONFIG.read_text(encoding="utf-8"))


@pytest.mark.hazard("H17", "H18")
@pytest.mark.parametrize("option,value,why", HARDENED, ids=[h[0] for h in HARDENED])
def test_the_shipped_config_file_sets_the_hardened_value(option, value, why):
    section, key = option.split(".")
    assert _shipped()[section][key] == value, why


def test_error_details_are_never_full_and_uploads_stay_small():
    shipped = _shipped()
    assert shipped["client"]["showErrorDetails"] not in ("full", True, "stacktrace")
    assert 0 < shipped["server"]["maxUploadSize"] <= 5
    assert shipped["server"].get("maxMessageSize", 200) <= 200
    assert "sslCertFile" not in shipped["server"]  # TLS ends at the proxy (deployment.md)
    assert "cookieSecret" not in shipped["server"]  # secrets never in the committed config


def _config_show(tmp_path) -> dict[str, object]:
    """`streamlit config show` from the project folder, as Streamlit resolves it."""
    home = tmp_path / "home"
    (home / ".streamlit").mkdir(parents=True)
    (home / ".streamlit" / "config.toml").write_text(HOSTILE_USER_CONFIG, encoding="utf-8")
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run([sys.executable, "-m", "streamlit", "config", "show"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    values: dict[str, object] = {}
    section = ""
    lines = iter(line.strip() for line in out.stdout.splitlines())
    for line in lines:
        if match := re.fullmatch(r"\[(\w+)\]", line):
            section = match.group(1)
        elif match := re.fullmatch(r"(\w+) = (.+)", line):
            value = match.group(2)
            while value.startswith("[") and not value.endswith("]"):  # a multi-line list
                value += next(lines)
            values[f"{section}.{match.group(1)}"] = tomllib.loads(f"v = {value}")["v"]
    return values


@pytest.mark.hazard("H18", "H24")
def test_streamlit_reads_the_hardened_values_even_over_a_hostile_user_config(tmp_path):
    effective = _config_show(tmp_path)
    wrong = {option: effective.get(option) for option, value, _ in HARDENED
             if effective.get(option) != value}
    assert wrong == {}


@pytest.mark.hazard("H24")
def test_streamlit_get_option_agrees_after_loading_the_project_file(tmp_path):
    code = ("import json, streamlit.config as c; c.get_config_options(force_reparse=True); "
            f"print(json.dumps({{o: c.get_option(o) for o in {[h[0] for h in HARDENED]!r}}}))")
    home = tmp_path / "home"
    home.mkdir()
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={"HOME": str(home), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert out.returncode == 0, out.stderr
    import json

    assert json.loads(out.stdout.strip().splitlines()[-1]) == {h[0]: h[1] for h in HARDENED}


def _make_run_flags() -> dict[str, str]:
    out = subprocess.run(["make", "-n", "-W", "requirements.txt", "run", "VENV=.venv"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    line = next(line for line in out.stdout.splitlines() if "streamlit run" in line)
    words = shlex.split(line)
    return {words[i].removeprefix("--"): words[i + 1] for i in range(len(words) - 1)
            if words[i].startswith("--")}


@pytest.mark.hazard("H24")
def test_the_laptop_launcher_repeats_the_safety_settings_as_flags():
    flags = _make_run_flags()
    for option, value, _ in HARDENED:
        if option in flags:
            assert flags[option] == str(value).lower() if not isinstance(value, list) \
                else flags[option] == ",".join(value), option
    for option in ("server.address", "browser.gatherUsageStats", "client.showErrorDetails",
                   "server.enableXsrfProtection"):
        assert option in flags, f"make run does not pass --{option}"


@pytest.mark.hazard("H81")
def test_make_run_starts_the_guarded_launcher_not_the_bare_script():
    """`make run` serves the app through dashboard/serve.py (its st.App adds the edge guard)."""
    out = subprocess.run(["make", "-n", "-W", "requirements.txt", "run", "VENV=.venv"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    line = next(line for line in out.stdout.splitlines() if "streamlit run" in line)
    assert shlex.split(line)[shlex.split(line).index("run") + 1] == "dashboard/serve.py"
    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(ROOT / "dashboard" / "serve.py")
    assert found.is_asgi_app and found.app_name == "app"
    source = (ROOT / "dashboard" / "serve.py").read_text()
    assert "Middleware(EdgeGuard" in source and "sweep_media" in source


def test_secrets_are_ignored_by_git_and_none_is_committed():
    ignored = subprocess.run(["git", "check-ignore", "-q", ".streamlit/secrets.toml"],
                             cwd=ROOT, timeout=30)
    assert ignored.returncode == 0, ".streamlit/secrets.toml is not git-ignored"
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             timeout=30).stdout.splitlines()
    assert not [p for p in tracked if p.endswith("secrets.toml")]


PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==(\d[^\s;#]*)")


@pytest.mark.hazard("H19")
@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_every_dependency_is_pinned_to_an_exact_version(name):
    lines = [line.split("#")[0].strip() for line in (ROOT / name).read_text().splitlines()]
    lines = [line for line in lines if line and not line.startswith("-r ")]
    assert lines and all(PIN.match(line) for line in lines), lines


@pytest.mark.hazard("H19")
def test_streamlit_is_at_or_above_the_security_floor():
    text = (ROOT / "requirements.txt").read_text()
    version = re.search(r"^streamlit==(\d+)\.(\d+)", text, re.MULTILINE)
    assert version and (int(version.group(1)), int(version.group(2))) >= (1, 54)
    import streamlit

    assert streamlit.__version__ == re.search(r"^streamlit==(\S+)", text, re.MULTILINE).group(1)


# --------------------------------------------------------------------------- lock files (H84)


def _lock_module():
    spec = importlib.util.spec_from_file_location("ci_lock", ROOT / ".ci" / "lock.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _lock_entries(name: str) -> list[tuple[str, list[str]]]:
    """(requirement line, its sha256 hashes) for every entry of a lock file."""
    entries: list[tuple[str, list[str]]] = []
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        if re.match(r"^[A-Za-z0-9]", line):
            entries.append((line.rstrip(" \\"), []))
        elif line.strip().startswith("--hash=") and entries:
            entries[-1][1].append(line.strip().removesuffix("\\").strip())
    return entries


@pytest.mark.hazard("H84")
@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_every_locked_package_is_pinned_with_sha256_hashes(lock):
    entries = _lock_entries(lock)
    assert len(entries) > 20
    for requirement, hashes in entries:
        assert re.match(r"^[A-Za-z0-9_.\-]+==\S+", requirement), requirement
        assert hashes and all(re.fullmatch(r"--hash=sha256:[0-9a-f]{64}", h) for h in hashes), \
            requirement


@pytest.mark.parametrize("lock,source", [("requirements.lock", "requirements.txt"),
                                         ("requirements-dev.lock", "requirements-dev.txt")])
@pytest.mark.hazard("H84")
def test_the_lock_holds_everything_the_pins_pull_in_at_the_installed_version(lock, source):
    """Every package the direct pins need (here, with their markers) is locked, and at the
    version the suite runs with: a pin changed without `make lock` fails here."""
    tool = _lock_module()
    locked = tool.lock_names((ROOT / lock).read_text(encoding="utf-8"))
    needed = tool.installed_closure(tool.direct_requirements(source))
    assert {"starlette", "uvicorn", "h11", "python-multipart", "streamlit"} <= set(needed) \
        or source == "requirements-dev.txt"
    assert sorted(set(needed) - set(locked)) == [], "not locked: run make lock"
    assert {n: (v, locked[n]) for n, v in needed.items() if locked[n] != v} == {}


@pytest.mark.hazard("H84")
def test_the_runtime_lock_is_the_dev_lock_restricted_to_what_the_app_needs():
    tool = _lock_module()
    runtime = tool.lock_names((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    dev = tool.lock_names((ROOT / "requirements-dev.lock").read_text(encoding="utf-8"))
    assert {n: v for n, v in runtime.items() if dev.get(n) != v} == {}
    assert "pytest" in dev and "pytest" not in runtime


@pytest.mark.hazard("H84")
def test_make_installs_only_from_the_locks_with_require_hashes():
    out = subprocess.run(["make", "-n", "-B", "test", "VENV=.venv"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60).stdout
    installs = [line for line in out.splitlines() if "pip install" in line]
    assert len(installs) == 2, out
    assert all("--require-hashes" in line for line in installs)
    assert [shlex.split(line)[-1] for line in installs] == ["requirements.lock",
                                                            "requirements-dev.lock"]


@pytest.mark.hazard("H84")
def test_the_audit_reads_the_lock_and_never_resolves_by_itself():
    command = _audit_module().audit_command("python")
    assert command[command.index("-r") + 1].endswith("requirements-dev.lock")
    assert "--disable-pip" in command and "--require-hashes" in command


# --------------------------------------------------------------------------- dependency audit


def _audit_module():
    spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# What pip-audit 2.10 printed on this project's build machine, where PyPI's vulnerability data
# could not be reached: every package skipped, yet "No known vulnerabilities found" and exit 0.
UNREACHABLE = """No known vulnerabilities found
Name                      Skip Reason
------------------------- --------------------------------------------------------------
streamlit                 Dependency not found on PyPI and could not be audited: streamlit (1.67.0)
pandas                    Dependency not found on PyPI and could not be audited: pandas (3.1.1)
"""


@pytest.mark.parametrize("returncode,output,outcome", [
    (0, UNREACHABLE, "incomplete"),
    (1, ("ERROR:pip_audit._cli:streamlit: Dependency not found on PyPI and could not be audited:"
        " streamlit (1.67.0)\n"), "not_run"),
    (1, "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='pypi.org')\n", "not_run"),
    (1, "/usr/bin/python: No module named pip_audit\n", "not_run"),
    (124, "", "not_run"),
    (1, ("Found 1 known vulnerability in 1 package\nName Version ID Fix Versions\n"
        "starlette 0.1 GHSA-xxxx 1.1.0\n"), "vulnerable"),
    (0, "No known vulnerabilities found\n", "passed"),
])
@pytest.mark.hazard("H23")
def test_the_dependency_audit_never_reports_a_pass_it_did_not_get(returncode, output, outcome):
    got, message = _audit_module().classify(returncode, output)
    assert got == outcome
    if outcome in ("incomplete", "not_run"):
        assert "DEPENDENCY AUDIT" in message and "passed" not in message


@pytest.mark.hazard("H19", "H23")
def test_ci_runs_the_audit_after_the_tests_and_does_not_swallow_its_failure():
    script = (ROOT / ".ci" / "run").read_text()
    assert "set -euo pipefail" in script
    commands = [line for line in script.splitlines() if not line.lstrip().startswith("#")]
    audit_line = next(line for line in commands if ".ci/audit.py" in line)
    assert "|| true" not in audit_line and "2>/dev/null" not in audit_line
    assert commands.index("make test") < commands.index(audit_line)
