"""The parsed-content cache of core/loader.py (issue #15: start-up of every command).

The parsed TOML is kept in `content/.parsed/`, named by the SHA-256 of every content file's
path and bytes. These tests prove a cached load equal to a fresh one, that any change of a
file is read afresh (never old content), and that a damaged, foreign or unwritable cache only
means the files are parsed as without it."""

from __future__ import annotations

import pickle
import shutil
import subprocess

import pytest

from dashboard.core import loader
from dashboard.core.engine import assess_many
from dashboard.core.explain import assessment_record
from tests.conftest import ROOT
from tests.generated_profiles import profiles


@pytest.fixture
def root(tmp_path):
    copy = tmp_path / "content"
    shutil.copytree(ROOT / "content", copy, ignore=shutil.ignore_patterns(loader.CACHE_DIR))
    return copy


def _cache_files(root):
    return sorted((root / loader.CACHE_DIR).glob("*.pickle"))


def _records(content, items):
    return [assessment_record(a, content) for a in assess_many(items, content)]


@pytest.mark.hazard("H139")
def test_the_cached_content_is_the_content_parsed_afresh(root):
    fresh = loader.load_content(root, cache=False)
    assert _cache_files(root) == []  # cache=False neither reads nor writes one
    first = loader.load_content(root)  # parses, and keeps the parsed files
    [cache] = _cache_files(root)
    key, docs = pickle.loads(cache.read_bytes())
    assert key in cache.name and first.version.endswith("+" + key[:8])  # by the bytes
    parsed = {p.relative_to(root).as_posix(): loader._read(p, root, [])
              for p in sorted(root.rglob("*.toml"))}
    # the same data, types and order (True, 1 and 1.0 are equal; their pickles are not)
    assert pickle.dumps(docs) == pickle.dumps(parsed) and len(docs) > 20
    cached = loader.load_content(root)  # from the cache
    assert cached.version == first.version == fresh.version
    items = profiles(fresh, 600, seed=139)
    assert _records(cached, items) == _records(fresh, items)
    assert cached.strings == fresh.strings and cached.reviews == fresh.reviews


@pytest.mark.hazard("H139")
def test_a_change_of_any_content_file_is_read_afresh_never_from_the_cache(root):
    before = loader.load_content(root)
    [old_cache] = _cache_files(root)
    ui = root / "ui.toml"
    text = ui.read_text(encoding="utf-8")
    key = next(k for k, v in before.strings["en"].items() if k.startswith("ui.")
               and isinstance(v, str) and v.isalpha() and f'"{v}"' in text and len(v) > 4)
    ui.write_text(text.replace(f'"{before.strings["en"][key]}"', '"Changed"'), encoding="utf-8")
    after = loader.load_content(root)
    assert after.strings["en"][key] == "Changed" and after.version != before.version
    assert _cache_files(root) != [old_cache] and len(_cache_files(root)) == 1  # old one removed
    (root / "extra").mkdir()  # a new file: another name too
    (root / "extra" / "note.toml").write_text("", encoding="utf-8")
    with pytest.raises(loader.ContentError):  # read, and refused, as without a cache
        loader.load_content(root)


@pytest.mark.hazard("H139")
def test_a_damaged_foreign_or_misnamed_cache_file_is_never_used(root):
    fresh = loader.load_content(root, cache=False)
    items = profiles(fresh, 200, seed=7)
    expected = _records(fresh, items)
    loader.load_content(root)
    [cache] = _cache_files(root)
    key, docs = pickle.loads(cache.read_bytes())
    import collections

    damaged = cache.read_bytes()[:1000]
    foreign = pickle.dumps((key, collections.OrderedDict(docs)))  # a class content never has
    misnamed = pickle.dumps(("0" * 64, {**docs, "ui.toml": {}}))  # another content's data
    for planted in (damaged, foreign, misnamed, b"not a pickle"):
        cache.write_bytes(planted)
        assert loader._cached_documents(root, key) is None
        assert _records(loader.load_content(root), items) == expected


@pytest.mark.hazard("H139")
def test_a_content_folder_where_no_cache_can_be_written_still_loads(root):
    (root / loader.CACHE_DIR).write_text("a file, not a folder", encoding="utf-8")
    fresh = loader.load_content(root, cache=False)
    content = loader.load_content(root)  # cannot keep the cache: parses, says nothing
    assert content.version == fresh.version
    assert (root / loader.CACHE_DIR).read_text(encoding="utf-8") == "a file, not a folder"


def test_git_ignores_the_cache_folder():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    done = subprocess.run(["git", "check-ignore", "-q",
                           f"content/{loader.CACHE_DIR}/1-3.11-0.pickle"], cwd=ROOT)
    assert done.returncode == 0
