"""Write result folders atomically and stamp them with provenance.

A results folder is written into a temporary sibling folder and renamed into
place only when complete: a failure never leaves half a folder, and an existing
folder is replaced only with ``force=True``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import sys
import uuid
from collections.abc import Iterator, Mapping
from importlib import metadata
from pathlib import Path

import xarray as xr

from nzv_energy.errors import NzvInputError

PACKAGES = (
    "nzv-energy",
    "numpy",
    "pandas",
    "xarray",
    "numba",
    "pypsa",
    "linopy",
    "highspy",
    "pyomo",
    "dask",
    "pvlib",
    "windpowerlib",
)


class ResultsExistError(NzvInputError):
    """The results folder exists and ``--force`` was not given."""


def package_versions() -> dict[str, str]:
    """Installed versions of the packages a result depends on."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def provenance(
    scenario_text: str,
    input_hashes: Mapping[str, str],
    command: str | None = None,
) -> dict[str, str]:
    """Provenance attributes (strings, netCDF-safe) for a results dataset.

    Parameters
    ----------
    scenario_text
        The scenario file's merged content (after ``extends``), as YAML.
    input_hashes
        SHA-256 of each data file read.
    command
        The command line that produced the result.
    """
    return {
        "scenario_yaml": scenario_text,
        "scenario_sha256": hashlib.sha256(scenario_text.encode("utf-8")).hexdigest(),
        "input_sha256": json.dumps(dict(sorted(input_hashes.items()))),
        "package_versions": json.dumps(package_versions()),
        "created_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": command if command is not None else " ".join(sys.argv),
    }


@contextlib.contextmanager
def atomic_directory(target: str | Path, force: bool = False) -> Iterator[Path]:
    """Yield a temporary folder that becomes ``target`` only if the block succeeds.

    Parameters
    ----------
    target
        Final folder.
    force
        Replace an existing ``target``; without it an existing folder is an error
        raised before anything is written.

    Raises
    ------
    ResultsExistError
        ``target`` exists and ``force`` is false.
    """
    target = Path(target)
    if target.exists() and not force:
        raise ResultsExistError(
            None,
            "results folder",
            str(target),
            "a folder that does not exist yet: pass --force to replace it or --out DIR",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
        target.rename(old)
    try:
        tmp.rename(target)
    except BaseException:
        if old is not None:
            old.rename(target)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_netcdf(ds: xr.Dataset, path: str | Path) -> None:
    """Write a dataset to netCDF4 (h5netcdf engine), compressed."""
    encoding = {
        name: {"zlib": True, "complevel": 4}
        for name, var in ds.data_vars.items()
        if var.dtype.kind in "fiu"
    }
    ds.to_netcdf(path, engine="h5netcdf", encoding=encoding)
