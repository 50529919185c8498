"""Keep numba's on-disk cache of the kernels consistent across source changes.

numba (``cache=True``) stamps each cached function with the modification time
and size of the file that defines it, not of the files it calls into: the
ensemble kernels in ``ensemble.py`` inline ``dispatch.py``'s loop, so after an
edit of ``dispatch.py`` they would load stale machine code.  Before the kernels
are imported, :func:`drop_stale_cache` compares a hash of all kernel sources with
the one recorded next to the cache and removes the kernels' cache files when
they differ.

Many processes import the kernels at once (the workers of a local Dask cluster):
the check, the purge and the new stamp happen under an exclusive file lock
(``flock`` on ``__pycache__/nzv_kernels.lock``) and the stamp is replaced
atomically, so the first process purges once and every later one finds the stamp
current and leaves the cache - which numba itself writes atomically - alone.
Without ``fcntl`` (Windows) the purge runs unlocked.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

_HERE = Path(__file__).resolve().parent
_STAMP = "nzv_kernels_source.sha256"
_LOCK = "nzv_kernels.lock"


def source_hash(folder: Path = _HERE) -> str:
    """SHA-256 over the names and contents of the kernel source files."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode("utf-8"))
        digest.update(path.read_bytes())
    return digest.hexdigest()


@contextlib.contextmanager
def _locked(cache: Path) -> Iterator[None]:
    """Hold the exclusive lock of the cache folder (blocks until the holder releases it)."""
    with open(cache / _LOCK, "a+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def drop_stale_cache(folder: Path = _HERE) -> bool:
    """Remove the kernels' numba cache files if the sources changed since they were written.

    Safe to call from many processes at once: one of them purges, under a file
    lock, and records the new stamp; the others wait for it and keep the cache.

    Returns
    -------
    bool
        True when cache files were removed.  A read-only installation is left
        alone (numba then does not write a cache there either).
    """
    cache = folder / "__pycache__"
    current = source_hash(folder)
    stamp = cache / _STAMP
    if _stamp_is(stamp, current):  # the common case: no lock needed
        return False
    try:
        cache.mkdir(exist_ok=True)
        with _locked(cache):
            if _stamp_is(stamp, current):  # another process purged while this one waited
                return False
            removed = False
            for path in cache.iterdir():
                if path.suffix in (".nbi", ".nbc"):
                    path.unlink(missing_ok=True)
                    removed = True
            partial = cache / f"{_STAMP}.{os.getpid()}.tmp"
            partial.write_text(current, encoding="utf-8")
            os.replace(partial, stamp)
            return removed
    except OSError:
        return False


def _stamp_is(stamp: Path, current: str) -> bool:
    try:
        return stamp.read_text(encoding="utf-8") == current
    except OSError:
        return False
