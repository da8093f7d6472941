"""Privacy sweep of the command line and PDF paths (PRIV-10, PRIV-13, PRIV-12, SEC-6).

A marker unique to this run goes into every free-text field. Every `sheet` and `assess` path runs,
error paths included, in a sandbox with its own HOME, TMPDIR and caches. The marker must then
appear in the text of the one PDF that was asked for and nowhere else: not on stdout or stderr,
not in a file name, not in the PDF's metadata, outline or raw bytes, not in any other file in
the sandbox, the system temp folders or the repository. The browser half of the sweep is in
tests/test_privacy_ui.py.
"""

from __future__ import annotations

import ast
import json
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, make_factors
from tests.safety_support import (
    CLI_TEXT_FIELDS,
    Sandbox,
    hits,
    new_marker,
    pdf_metadata_strings,
    pdf_text,
)

SYSTEM_TEMP = [Path("/tmp"), Path("/var/tmp"), Path("/dev/shm")]


def _patient(marker: str) -> dict[str, str]:
    """Every free-text field, each with its own variant of the marker."""
    return {cli_key: f"{marker}-{field}" for field, cli_key in CLI_TEXT_FIELDS.items()} | {
        "notes": f"{marker}-notes line one\nline two 王小明 שלום {marker}-notes-end"}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """Run every command-line path once with the marker; collect everything they left."""
    marker = new_marker()
    started = time.time()
    box = Sandbox(tmp_path_factory.mktemp("privacy")).make()
    out = box.work / "discussion-sheet.pdf"
    patient = _patient(marker)
    good = json.dumps({**make_factors(), "patient": patient})
    runs = {
        "sheet": box.run_cli("sheet", "-", "-o", str(out), "--select", "resection,tace",
                             stdin=good),
        "sheet, factor errors": box.run_cli(
            "sheet", "-", "-o", str(box.work / "e1.pdf"),
            stdin=json.dumps({**make_factors(ecog=7, inr=99), "patient": patient})),
        "sheet, name too long": box.run_cli(
            "sheet", "-", "-o", str(box.work / "e2.pdf"),
            stdin=json.dumps({**make_factors(), "patient": patient | {
                "name": f"{marker}-name " + "x" * 200}})),
        "sheet, unprintable name": box.run_cli(
            "sheet", "-", "-o", str(box.work / "e3.pdf"),
            stdin=json.dumps({**make_factors(), "patient": patient | {
                "name": f"{marker}-name 😀"}})),
        "sheet, unprintable notes": box.run_cli(
            "sheet", "-", "-o", str(box.work / "e4.pdf"),
            stdin=json.dumps({**make_factors(), "patient": patient | {
                "notes": f"{marker}-notes བསན"}})),  # Tibetan: no bundled font
        "sheet, unknown option": box.run_cli(
            "sheet", "-", "-o", str(box.work / "e5.pdf"), "--select", "nope", stdin=good),
        "sheet, patient field not text": box.run_cli(
            "sheet", "-", "-o", str(box.work / "e6.pdf"),
            stdin=json.dumps({**make_factors(), "patient": patient | {"team_phone": 5}})),
        "sheet, unknown patient field": box.run_cli(
            "sheet", "-", "-o", str(box.work / "e7.pdf"),
            stdin=json.dumps({**make_factors(), "patient": patient | {"mrn": marker}})),
        "sheet, malformed json": box.run_cli(
            "sheet", "-", "-o", str(box.work / "e8.pdf"), stdin=good[:-40]),
        "sheet, unwritable output": box.run_cli(
            "sheet", "-", "-o", str(box.work / "missing" / "x.pdf"), "--select", "resection",
            stdin=good),
        "sheet, clinic day": box.run_cli(
            "sheet", "-", "-o", str(box.work / "day"), "--select", "resection",
            stdin=json.dumps([{**make_factors(), "patient": patient},
                              {**make_factors(ecog=7), "patient": patient},
                              {**make_factors(), "patient": patient | {"name": f"{marker} 😀"}}])),
        "assess, patient object": box.run_cli("assess", "-", stdin=good),
        "assess, marker in a choice field": box.run_cli(
            "assess", "-", stdin=json.dumps(make_factors(recurrence_site=marker))),
        "assess, marker in a number field": box.run_cli(
            "assess", "-", stdin=json.dumps(make_factors(inr=marker, ecog=f"{marker}1"))),
        "assess, marker in a yes/no field": box.run_cli(
            "assess", "-", stdin=json.dumps(make_factors(cirrhosis=marker))),
        "assess, NaN": box.run_cli(
            "assess", "-", stdin=good.replace('"ecog": 0', '"ecog": NaN')),
    }
    return {"marker": marker, "box": box, "out": out, "runs": runs, "started": started,
            "patient": patient}


def test_the_sweep_exercised_success_and_every_error_path(sweep):
    codes = {name: run.returncode for name, run in sweep["runs"].items()}
    assert codes.pop("sheet") == 0, sweep["runs"]["sheet"].stderr
    assert set(codes.values()) == {2}, codes  # the clinic day too: two of its three failed
    assert sweep["out"].exists()
    work = sweep["box"].work
    assert sorted(p.name for p in work.iterdir()) == sorted([sweep["out"].name, "day"])
    assert [p.name for p in (work / "day").iterdir()] == ["sheet-001.pdf"]


@pytest.mark.hazard("H17", "H27")
@pytest.mark.bad_input_case(40)
def test_the_marker_is_never_on_stdout_or_stderr(sweep):
    marker = sweep["marker"]
    leaks = {name: (marker in run.stdout, marker in run.stderr)
             for name, run in sweep["runs"].items() if marker in run.stdout + run.stderr}
    assert leaks == {}


def test_the_other_patient_text_is_never_on_stdout_or_stderr(sweep):
    for name, run in sweep["runs"].items():
        for text in ("王小明", "שלום", "line two"):
            assert text not in run.stdout + run.stderr, name
        assert "Traceback" not in run.stderr, name


def _sheets(sweep) -> list:
    return [sweep["out"], sweep["box"].work / "day" / "sheet-001.pdf"]


def test_every_field_reaches_the_sheets_the_clinician_asked_for(sweep):
    for sheet in _sheets(sweep):
        # Without white space: a long unbroken value wraps inside its half of the header.
        flat = "".join(pdf_text(sheet.read_bytes()).split())
        for field, value in sweep["patient"].items():
            for part in value.split("\n"):
                assert "".join(part.split()) in flat, field


@pytest.mark.hazard("H17")
def test_the_pdf_metadata_outline_and_raw_bytes_carry_no_patient_text(sweep):
    marker = sweep["marker"]
    for sheet in _sheets(sweep):
        data = sheet.read_bytes()
        strings = pdf_metadata_strings(data)
        assert strings, "no metadata read: is the reader working?"
        assert [s for s in strings if marker in s or "王小明" in s] == []
        for encoded in (marker.encode(), marker.encode("utf-16-be"), marker.encode("utf-16-le")):
            assert encoded not in data


@pytest.mark.hazard("H17")
@pytest.mark.bad_input_case(40)
def test_the_marker_is_in_no_file_name_and_no_other_file(sweep):
    marker = sweep["marker"]
    box: Sandbox = sweep["box"]
    found = hits([box.root], marker, skip=_sheets(sweep))
    assert found == []


@pytest.mark.hazard("H17")
def test_the_marker_is_in_no_system_temp_file_written_during_the_sweep(sweep):
    marker = sweep["marker"]
    recent = []
    for root in SYSTEM_TEMP:
        if not root.exists():
            continue
        for path in root.iterdir():
            try:
                if path.stat().st_mtime >= sweep["started"] - 1:
                    recent.append(path)
            except OSError:
                continue
    box_root = sweep["box"].root.resolve()
    roots = [p for p in recent if box_root not in p.resolve().parents and p.resolve() != box_root
             and not str(box_root).startswith(str(p.resolve()) + "/")]
    assert hits(roots, marker) == []


def test_the_marker_is_nowhere_in_the_repository(sweep):
    assert hits([ROOT], sweep["marker"]) == []


# --------------------------------------------------------------------------- static guards

PY_SOURCES = sorted((ROOT / "dashboard").rglob("*.py"))


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and (getattr(n.func, "attr", None) == name or getattr(n.func, "id", None) == name)]


@pytest.mark.hazard("H17")
@pytest.mark.parametrize("path", PY_SOURCES, ids=[p.name for p in PY_SOURCES])
def test_no_logging_or_printing_of_patient_text_in_the_pdf_and_core_paths(path):
    """Only the command-line modules print; nothing logs with values (PRIV-8)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    logging_calls = [c for c in ast.walk(tree) if isinstance(c, ast.Call)
                     and getattr(c.func, "attr", None) in ("debug", "info", "warning", "error",
                                                          "exception", "critical", "log")
                     and getattr(getattr(c.func, "value", None), "id", "") in ("logging",
                                                                              "logger", "log",
                                                                              "LOGGER", "_LOG")]
    for call in logging_calls:
        for arg in call.args[1:]:  # format arguments: only literals or type names
            assert isinstance(arg, ast.Constant) or (
                isinstance(arg, ast.Attribute) and arg.attr in ("__name__", "code")) or (
                isinstance(arg, ast.Name) and arg.id == "code"), (  # an error code, no value
                f"{path.name}:{call.lineno} logs a value")
    if path.name not in ("cli.py", "sheet_cli.py", "batch_cli.py", "review_cli.py", "__main__.py"):
        assert _calls(tree, "print") == [], f"{path.name} prints"


@pytest.mark.hazard("H12")
def test_the_pdf_renderer_never_interprets_markup_or_loads_resources():
    paths = sorted((ROOT / "dashboard" / "adapters" / "pdf").glob("*.py"))
    assert len(paths) >= 3
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in ast.walk(tree):
            if isinstance(call, ast.Call):
                for keyword in call.keywords:
                    if keyword.arg == "markdown":
                        assert isinstance(keyword.value, ast.Constant)
                        assert keyword.value.value is False
        assert _calls(tree, "write_html") == [] and _calls(tree, "image") == []
    source = (ROOT / "dashboard" / "adapters" / "pdf" / "document.py").read_text(encoding="utf-8")
    assert "ResourceAccessPolicy.NONE" in source


def test_the_sheet_file_name_and_metadata_title_are_generic(content):
    from tests.safety_support import sheet_for

    sheet = sheet_for(content, patient_name="Ann Lee", clinician="Dr Who")
    assert sheet.file_name == "discussion-sheet.pdf"
    assert "Ann" not in sheet.metadata_title and "Who" not in sheet.metadata_title


# --------------------------------------------------------------------------- the screen's code

UI_MODULES = ["screen/app.py", "screen/frame.py", "screen/form.py", "screen/results.py",
              "screen/sheet_panel.py", "screen/view.py", "adapters/frames.py", "selftest.py"]
MUTABLE_CALLS = {"list", "dict", "set", "defaultdict", "OrderedDict", "Counter", "deque"}


def _tree(name: str) -> ast.Module:
    return ast.parse((ROOT / "dashboard" / name).read_text(encoding="utf-8"))


@pytest.mark.hazard("H07")
@pytest.mark.parametrize("name", UI_MODULES)
def test_priv_4_the_screen_keeps_no_mutable_module_state(name):
    """Module globals are shared by every session: constants only (tuples, MappingProxyType)."""
    for node in _tree(name).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            value = node.value
            mutable = isinstance(value, (ast.List, ast.Dict, ast.Set, ast.ListComp,
                                         ast.DictComp, ast.SetComp)) or (
                isinstance(value, ast.Call)
                and getattr(value.func, "id", getattr(value.func, "attr", "")) in MUTABLE_CALLS)
            assert not mutable, f"{name}:{node.lineno} {ast.unparse(node)[:60]}"


@pytest.mark.parametrize("path", PY_SOURCES, ids=[p.name for p in PY_SOURCES])
def test_priv_4_no_function_rebinds_module_state(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert [n.lineno for n in ast.walk(tree) if isinstance(n, (ast.Global, ast.Nonlocal))] == []


@pytest.mark.hazard("H07")
def test_priv_3_caches_hold_no_patient_data():
    """A cached function shared by all sessions takes no arguments (so no patient value can
    reach it) unless its scope is the session; nothing is cached to disk."""
    for name in UI_MODULES:
        for node in ast.walk(_tree(name)):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                call = decorator if isinstance(decorator, ast.Call) else None
                target = ast.unparse(call.func if call else decorator)
                if "cache" not in target:
                    continue
                keywords = {k.arg: k.value for k in (call.keywords if call else [])}
                assert "persist" not in keywords, f"{name}:{node.lineno}"
                session = isinstance(keywords.get("scope"), ast.Constant) and \
                    keywords["scope"].value == "session"
                assert session or not (node.args.args or node.args.kwonlyargs
                                       or node.args.vararg), f"{name}:{node.name}"


@pytest.mark.hazard("H12")
@pytest.mark.parametrize("path", PY_SOURCES, ids=[p.name for p in PY_SOURCES])
def test_priv_9_sec_2_no_urls_with_values_and_no_raw_html(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    attributes = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not attributes & {"query_params", "experimental_set_query_params", "html",
                             "components", "iframe"}, path.name
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        for keyword in call.keywords:
            assert keyword.arg not in ("bind", "unsafe_allow_html", "unsafe_allow_javascript"), (
                f"{path.name}:{call.lineno} {keyword.arg}")


def test_priv_12_free_text_fields_switch_browser_autofill_off():
    inputs = [c for name in UI_MODULES for c in ast.walk(_tree(name)) if isinstance(c, ast.Call)
              and getattr(c.func, "attr", "") == "text_input"]
    assert len(inputs) >= 4
    for call in inputs:
        keywords = {k.arg: k.value for k in call.keywords}
        assert isinstance(keywords.get("autocomplete"), ast.Constant) and \
            keywords["autocomplete"].value == "off", call.lineno
        assert "max_chars" in keywords, call.lineno  # SEC-7
