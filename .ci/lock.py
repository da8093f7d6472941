"""Write the lock files (`make lock`): every package, pinned, with the hashes of its files.

    requirements.lock      what `make run` installs   (from requirements.txt)
    requirements-dev.lock  what `make test` installs  (from requirements-dev.txt, a superset)

The direct dependencies stay hand-pinned in requirements*.txt; this script resolves everything
they pull in (starlette, uvicorn, h11, python-multipart, ...) with uv (`uv pip compile
--generate-hashes --universal`, for Python 3.11 and later on every platform). Versions are held
to what is installed in `.venv`, the set the test suite has just passed with, so locking never
upgrades anything by surprise: to upgrade, change a pin in requirements*.txt, install it, run
`make lock`, then `make test`. `make run` / `make test` install the locks with
`pip install --require-hashes`, so a file whose hash is not in the lock is refused.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCKS = {"requirements.lock": "requirements.txt", "requirements-dev.lock": "requirements-dev.txt"}
PYTHON_FLOOR = "3.11"


def direct_requirements(name: str) -> list[Requirement]:
    """The requirements of a requirements*.txt file, following `-r other.txt`."""
    found: list[Requirement] = []
    for raw in (ROOT / name).read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found += direct_requirements(line[3:].strip())
        elif line:
            found.append(Requirement(line))
    return found


def installed_closure(requirements: list[Requirement]) -> dict[str, str]:
    """Canonical name -> installed version of the requirements and all they need, here."""
    versions: dict[str, str] = {}
    todo = [(r, frozenset(r.extras)) for r in requirements]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        requirement, extras = todo.pop()
        name = canonicalize_name(requirement.name)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        dist = metadata.distribution(name)
        versions[name] = dist.version
        for raw in dist.requires or []:
            child = Requirement(raw)
            environments = [{"extra": e} for e in extras] or [{"extra": ""}]
            if child.marker is None or any(child.marker.evaluate(env) for env in environments):
                todo.append((child, frozenset(child.extras)))
    return versions


def lock_names(text: str) -> dict[str, str]:
    """Canonical name -> version of every `name==version` line of a lock file."""
    return {canonicalize_name(m.group(1)): m.group(2)
            for m in re.finditer(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", text,
                                 re.MULTILINE)}


def main() -> int:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        print("lock: uv is not installed (it is pinned in requirements-dev.txt: make test)")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        for lock, source in LOCKS.items():
            held = installed_closure(direct_requirements(source))
            constraints = Path(tmp) / f"{lock}.constraints"
            constraints.write_text("".join(f"{n}=={v}\n" for n, v in sorted(held.items())))
            done = subprocess.run(
                [uv, "pip", "compile", source, "--constraint", str(constraints),
                 "--generate-hashes", "--universal", "--python-version", PYTHON_FLOOR,
                 "--no-header", "--quiet", "--output-file", lock],
                cwd=ROOT, capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                print(done.stdout + done.stderr)
                return done.returncode
            body = re.sub(r"(?m)^\s+#\s+-c \S+\n", "",  # the temporary constraints file
                          (ROOT / lock).read_text(encoding="utf-8"))
            (ROOT / lock).write_text(
                f"# {lock}: written by `make lock` (.ci/lock.py) from {source}; do not edit.\n"
                f"# Installed by `make {'run' if lock == 'requirements.lock' else 'test'}` "
                "with pip --require-hashes.\n" + body, encoding="utf-8")
            print(f"lock: {lock}: {len(lock_names(body))} packages, from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
