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


def _purge_when_released(folder: str, go, results) -> None:  # runs in a child process
    go.wait()
    results.put(_cache.drop_stale_cache(Path(folder)))


def test_concurrent_workers_purge_once(tmp_path: Path) -> None:
    # the workers of a local Dask cluster import the kernels at the same moment
    import multiprocessing as mp

    folder = _copy_kernels(tmp_path)
    _fake_cache(folder)  # cache files without a stamp: stale
    ctx = mp.get_context("spawn")
    go, results = ctx.Event(), ctx.Queue()
    workers = [ctx.Process(target=_purge_when_released, args=(str(folder), go, results))
               for _ in range(4)]
    for w in workers:
        w.start()
    go.set()
    for w in workers:
        w.join()
    purged = [results.get() for _ in workers]
    assert purged.count(True) == 1
    assert (folder / "__pycache__" / _cache._STAMP).read_text() == _cache.source_hash(folder)


def test_a_worker_waits_for_the_purge_of_another(tmp_path: Path) -> None:
    import threading

    folder = _copy_kernels(tmp_path)
    files = _fake_cache(folder)
    outcome: list[bool] = []
    with _cache._locked(folder / "__pycache__"):  # another process is purging
        waiting = threading.Thread(
            target=lambda: outcome.append(_cache.drop_stale_cache(folder))
        )
        waiting.start()
        waiting.join(0.5)
        # it has not touched the cache while the lock was held
        assert all(path.exists() for path in files)
        assert not outcome
    waiting.join()
    assert outcome == [True]
    assert not any(path.exists() for path in files)
