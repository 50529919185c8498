"""Keep numba's on-disk cache of the kernels consistent across source changes.

numba (``cache=True``) stamps each cached function with the modification time
and size of the file that defines it, not of the files it calls into: the
ensemble kernels in ``ensemble.py`` inline ``dispatch.py``'s loop, so after an
edit of ``dispatch.py`` they would load stale machine code.  Before the kernels
are imported, :func:`drop_stale_cache` compares a hash of all kernel sources with
the one recorded next to the cache and removes the kernels' cache files when
they differ.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_STAMP = "nzv_kernels_source.sha256"


def source_hash(folder: Path = _HERE) -> str:
    """SHA-256 over the names and contents of the kernel source files."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode("utf-8"))
        digest.update(path.read_bytes())
    return digest.hexdigest()


def drop_stale_cache(folder: Path = _HERE) -> bool:
    """Remove the kernels' numba cache files if the sources changed since they were written.

    Returns
    -------
    bool
        True when cache files were removed.  A read-only installation is left
        alone (numba then does not write a cache there either).
    """
    cache = folder / "__pycache__"
    current = source_hash(folder)
    stamp = cache / _STAMP
    try:
        if stamp.read_text(encoding="utf-8") == current:
            return False
    except OSError:
        pass
    removed = False
    try:
        cache.mkdir(exist_ok=True)
        for path in cache.iterdir():
            if path.suffix in (".nbi", ".nbc"):
                path.unlink()
                removed = True
        stamp.write_text(current, encoding="utf-8")
    except OSError:
        return removed
    return removed
