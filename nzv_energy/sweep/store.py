"""Per-batch result files: what makes an interrupted sweep resumable.

Each finished batch is written to ``<work>/batches/batch_<start>_<stop>.npz``
(written to a temporary name and renamed, so a file is either complete or
absent).  A re-run of the same sweep finds them and runs only the missing
batches.  ``<work>/manifest.json`` holds a fingerprint of everything that
decides the results (sweep file, merged base scenario, input files, batch size,
options, package version and source code); a work folder with another
fingerprint is stale and emptied.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

_BATCH_RE = re.compile(r"^batch_(\d+)_(\d+)\.npz$")


@dataclass
class BatchResult:
    """KPIs of one batch of members.

    Attributes
    ----------
    start, stop
        Member numbers ``start .. stop-1``.
    kpis
        KPI name -> value per member (NaN for failed members).
    errors
        Error message per member; empty string when the member succeeded.
    hourly
        Hourly datasets of the members (only when hourly output was asked for).
    seconds
        Wall time the batch took on its worker.
    """

    start: int
    stop: int
    kpis: dict[str, np.ndarray]
    errors: np.ndarray
    hourly: list[Any] | None = None
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> np.ndarray:
        """True for members that failed."""
        return np.array([bool(e) for e in self.errors], dtype=bool)

    def __len__(self) -> int:
        return self.stop - self.start


def code_fingerprint() -> str:
    """SHA-256 over the source files of nzv_energy (and its kernels): any code change shows."""
    import nzv_energy
    import nzv_energy.kernels

    digest = hashlib.sha256()
    for package in (nzv_energy, nzv_energy.kernels):
        root = Path(next(iter(package.__path__)))
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode("utf-8"))
            digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(parts: Mapping[str, Any]) -> str:
    """SHA-256 of a JSON-serialisable description of a sweep run, the package and its code."""
    try:
        version = metadata.version("nzv-energy")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        version = "unknown"
    text = json.dumps(
        {**parts, "nzv_energy_version": version, "code_sha256": code_fingerprint()},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class BatchStore:
    """The resumable work folder of one sweep.

    Parameters
    ----------
    folder
        Work folder (created when missing).
    key
        Fingerprint of the sweep run; a folder holding another one is emptied.
    """

    def __init__(self, folder: str | Path, key: str) -> None:
        self.folder = Path(folder)
        self.batches = self.folder / "batches"
        manifest = self.folder / "manifest.json"
        if self.folder.exists():
            try:
                old = json.loads(manifest.read_text(encoding="utf-8")).get("fingerprint")
            except (OSError, ValueError):
                old = None
            if old != key:
                log.info("work folder %s belongs to another sweep run; starting afresh", folder)
                shutil.rmtree(self.folder)
        self.batches.mkdir(parents=True, exist_ok=True)
        if not manifest.exists():
            manifest.write_text(json.dumps({"fingerprint": key}), encoding="utf-8")
        self.key = key

    def path(self, start: int, stop: int) -> Path:
        """File of the batch ``start .. stop-1``."""
        return self.batches / f"batch_{start:012d}_{stop:012d}.npz"

    def done(self) -> set[tuple[int, int]]:
        """``(start, stop)`` of every batch already written."""
        out = set()
        for p in self.batches.iterdir():
            m = _BATCH_RE.match(p.name)
            if m:
                out.add((int(m.group(1)), int(m.group(2))))
        return out

    def write(self, result: BatchResult) -> Path:
        """Write one batch atomically (temporary name, then rename)."""
        target = self.path(result.start, result.stop)
        tmp = target.with_name(f".{target.stem}.{uuid.uuid4().hex[:8]}.tmp.npz")
        names = list(result.kpis)
        matrix = np.empty((len(names), len(result)), dtype=np.float64)
        for row, name in enumerate(names):
            matrix[row] = result.kpis[name]
        # Four arrays per file: one KPI matrix rather than one zip entry per KPI
        # keeps the client's writing cheap while the workers run.
        np.savez(
            tmp,
            kpi_names=np.asarray(names, dtype=str),
            kpis=matrix,
            errors=np.asarray(result.errors, dtype=str),
            seconds=np.float64(result.seconds),
        )
        os.replace(tmp, target)
        return target

    def read(self, start: int, stop: int) -> BatchResult:
        """Read one batch back."""
        with np.load(self.path(start, stop), allow_pickle=False) as data:
            matrix = data["kpis"]
            kpis = {str(name): matrix[row] for row, name in enumerate(data["kpi_names"])}
            return BatchResult(
                start=start,
                stop=stop,
                kpis=kpis,
                errors=data["errors"],
                seconds=float(data["seconds"]),
            )

    def read_all(
        self, bounds: Iterable[tuple[int, int]], n_members: int
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Every batch gathered into per-member arrays.

        Parameters
        ----------
        bounds
            ``(start, stop)`` of every batch.
        n_members
            Number of members.

        Returns
        -------
        kpis, errors
            KPI name -> array of length ``n_members``; error message per member.
        """
        kpis: dict[str, np.ndarray] = {}
        errors = np.full(n_members, "", dtype=object)
        for start, stop in bounds:
            res = self.read(start, stop)
            for name, values in res.kpis.items():
                if name not in kpis:
                    kpis[name] = np.full(n_members, np.nan)
                kpis[name][start:stop] = values
            errors[start:stop] = res.errors
        return kpis, errors

    def remove(self) -> None:
        """Delete the work folder."""
        shutil.rmtree(self.folder, ignore_errors=True)
