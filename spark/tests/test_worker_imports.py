"""worker_imports: an unchanged zip archive is not re-read on `importlib.invalidate_caches()`."""

from __future__ import annotations

import importlib
import os
import sys
import zipfile
import zipimport
from pathlib import Path
from typing import Any

import pytest

from users_stream import worker_imports

pytestmark = pytest.mark.skipif(not worker_imports.needed(), reason="Python >= 3.12 resets zip caches lazily")


def make_archive(path: Path, modules: dict[str, str]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, source in modules.items():
            archive.writestr(f"{name}.py", source)


def test_unchanged_archives_are_not_reread_and_changed_ones_are(tmp_path: Path, monkeypatch: Any) -> None:
    archive = tmp_path / "lib.zip"
    make_archive(archive, {"zipmod_a": "VALUE = 1\n"})
    monkeypatch.syspath_prepend(str(archive))
    importlib.import_module("zipmod_a")
    reads: list[str] = []
    original_read = zipimport._read_directory  # type: ignore[attr-defined]

    def counting_read(path: str) -> Any:
        reads.append(path)
        return original_read(path)

    monkeypatch.setattr(zipimport, "_read_directory", counting_read)
    assert worker_imports.install() is True
    assert worker_imports.install() is True  # idempotent

    importlib.invalidate_caches()  # first reset per importer: reads once and remembers the stamp
    first = reads.count(str(archive))
    assert first >= 1
    for _ in range(5):
        importlib.invalidate_caches()
    assert reads.count(str(archive)) == first, "an unchanged archive was read again"

    # A changed archive (new module, new size and mtime) is read again, and its new module imports.
    make_archive(archive, {"zipmod_a": "VALUE = 1\n", "zipmod_b": "VALUE = 2\n"})
    stat = archive.stat()
    os.utime(archive, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    importlib.invalidate_caches()
    assert reads.count(str(archive)) > first
    assert importlib.import_module("zipmod_b").VALUE == 2
    for name in ("zipmod_a", "zipmod_b"):
        sys.modules.pop(name, None)
