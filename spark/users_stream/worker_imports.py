"""Keeps PySpark's per-task import-cache reset from re-reading zip archives (Python < 3.12).

PySpark's worker calls `importlib.invalidate_caches()` at the start of every task. On Python 3.10
and 3.11 that makes every `zipimporter` in `sys.path_importer_cache` re-read its archive's whole
directory, in pure Python. A Spark worker has one importer per package imported from
`$SPARK_HOME/python/lib/pyspark.zip` (13 in a warm worker here), and Spark also puts its
spark-core jar (5,221 entries) on the worker's path. Measured on this job's worker: 92-221 ms of
CPU per task, i.e. most of the Python CPU of a 1,000 records/s stream, and a delay before each
task starts to decode. Python 3.12 made the reset lazy (CPython gh-103200); the job image's
Python is older.

`install()` keeps the old semantics where it matters: an importer still re-reads its archive when
the file changed (size or mtime); an unchanged archive keeps its cached directory.
"""

from __future__ import annotations

import os
import sys
import zipimport
from collections.abc import Callable
from typing import Any

_ATTRIBUTE = "_users_stream_original_invalidate_caches"
_STAMP = "_users_stream_archive_stamp"


def needed() -> bool:
    """True on Pythons whose `zipimporter.invalidate_caches` re-reads the archive eagerly."""
    return sys.version_info < (3, 12) and hasattr(zipimport.zipimporter, "invalidate_caches")


def install() -> bool:
    """Makes `zipimporter.invalidate_caches` skip archives that did not change. Idempotent.

    Returns True when the patch is (now) in place, False when this Python does not need it.
    """
    if not needed():
        return False
    importer_class: Any = zipimport.zipimporter
    if hasattr(importer_class, _ATTRIBUTE):
        return True
    original: Callable[[Any], None] = importer_class.invalidate_caches

    def invalidate_caches(self: Any) -> None:
        # Each importer remembers the stamp of the archive it last read; a first call reads.
        try:
            status = os.stat(self.archive)
        except OSError:
            original(self)
            return
        stamp = (status.st_mtime_ns, status.st_size)
        if getattr(self, _STAMP, None) == stamp:
            return
        original(self)
        setattr(self, _STAMP, stamp)

    setattr(importer_class, _ATTRIBUTE, original)
    importer_class.invalidate_caches = invalidate_caches
    return True
