"""The kernels' numba cache is dropped when any kernel source changes."""

from __future__ import annotations

import shutil
from pathlib import Path

from nzv_energy.kernels import _cache

KERNELS = Path(_cache.__file__).resolve().parent


def _copy_kernels(tmp_path: Path) -> Path:
    folder = tmp_path / "kernels"
    folder.mkdir()
    for path in KERNELS.glob("*.py"):
        shutil.copy(path, folder / path.name)
    return folder


def _fake_cache(folder: Path) -> list[Path]:
    cache = folder / "__pycache__"
    cache.mkdir(exist_ok=True)
    files = [cache / "ensemble._member-28.py311.nbi", cache / "ensemble._member-28.py311.1.nbc"]
    for path in files:
        path.write_bytes(b"cached machine code")
    return files


def test_cache_of_unchanged_sources_is_kept(tmp_path: Path) -> None:
    folder = _copy_kernels(tmp_path)
    _cache.drop_stale_cache(folder)  # records the stamp
    files = _fake_cache(folder)
    assert _cache.drop_stale_cache(folder) is False
    assert all(path.exists() for path in files)


def test_editing_the_dispatch_loop_drops_the_ensemble_cache(tmp_path: Path) -> None:
    # numba's own check would keep ensemble.py's cache: only dispatch.py changed
    folder = _copy_kernels(tmp_path)
    _cache.drop_stale_cache(folder)
    files = _fake_cache(folder)
    dispatch = folder / "dispatch.py"
    dispatch.write_text(dispatch.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert _cache.drop_stale_cache(folder) is True
    assert not any(path.exists() for path in files)
    assert (folder / "__pycache__" / _cache._STAMP).read_text() == _cache.source_hash(folder)
