"""The server's own settings for many sessions at once (issue #12 Load, H141)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.hazard("H141")
def test_streamlit_runs_no_full_garbage_collection_after_each_script_run(tmp_path):
    """Streamlit's default (`runner.postScriptGC`) is a full `gc.collect()` at the end of
    every run, holding the server's one GIL for 50-80 ms on this app's heap: the project file
    turns it off, and Streamlit reads it so (from the project folder, whatever the user's
    own configuration says)."""
    home = tmp_path / "home"
    (home / ".streamlit").mkdir(parents=True)
    (home / ".streamlit" / "config.toml").write_text("[runner]\npostScriptGC = true\n",
                                                     encoding="utf-8")
    code = ("import json, streamlit.config as c; c.get_config_options(force_reparse=True); "
            "print(json.dumps(c.get_option('runner.postScriptGC')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={"HOME": str(home), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) is False
