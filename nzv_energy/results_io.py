"""Write result folders atomically, byte-reproducibly, and stamp them with provenance.

A results folder is written into a temporary sibling folder and renamed into
place only when complete: a failure never leaves half a folder, and an existing
folder is replaced only with ``force=True``.  A process killed while writing
(SIGKILL, power loss) leaves its hidden temporary folder behind; the next write
into the same parent folder removes such leftovers of processes that are no
longer alive and logs each one.

The same inputs give the same bytes: result files hold no wall-clock values,
the creation time is recorded only when asked for (:func:`set_timestamp`) or
given by ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention), the
recorded command line leaves out where the results went, and netCDF files are
written with a fixed variable order and no HDF5 time stamps.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import platform
import re
import shlex
import shutil
import sys
import uuid
import warnings
from collections.abc import Iterator, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import xarray as xr

from nzv_energy.errors import NzvInputError

if TYPE_CHECKING:
    import pypsa

log = logging.getLogger(__name__)

#: The lock file of exact package versions (``pip install -e . -c requirements-lock.txt``).
LOCK_FILE = Path(__file__).resolve().parent.parent / "requirements-lock.txt"

#: Command-line options that choose where results go (or how they are logged), not what
#: they contain: left out of the recorded command so two runs into different folders
#: give the same bytes.  Options with a value, then flags.
_PLACEMENT_OPTIONS = ("--out",)
_PLACEMENT_FLAGS = ("--force", "--timestamp", "-q", "--quiet", "-v", "--verbose")

#: Hidden temporary and replaced folders of :func:`atomic_directory`:
#: ``.NAME.tmp-<pid>-<hex>`` and ``.NAME.old-<pid>-<hex>``.
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)-[0-9a-f]+$")

_stamp_wall_clock = False

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


def set_timestamp(enabled: bool) -> None:
    """Record the wall-clock creation time in results written from now on (``--timestamp``).

    Off by default: a result then carries a creation time only when
    ``SOURCE_DATE_EPOCH`` is set, so the same inputs give the same bytes.
    """
    global _stamp_wall_clock
    _stamp_wall_clock = bool(enabled)


def creation_time() -> str | None:
    """Creation time for a result, ISO 8601 UTC, or None when none is to be recorded.

    ``SOURCE_DATE_EPOCH`` (seconds since 1970-01-01 UTC) wins; otherwise the
    wall clock when :func:`set_timestamp` switched it on.

    Raises
    ------
    NzvInputError
        ``SOURCE_DATE_EPOCH`` is not a whole number of seconds.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None and epoch.strip():
        try:
            when = dt.datetime.fromtimestamp(int(epoch.strip()), dt.UTC)
        except (ValueError, OverflowError, OSError):
            raise NzvInputError(
                None, "environment variable SOURCE_DATE_EPOCH", epoch,
                "a whole number of seconds since 1970-01-01 UTC",
            ) from None
    elif _stamp_wall_clock:
        when = dt.datetime.now(dt.UTC)
    else:
        return None
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def reproducible_command(argv: Sequence[str]) -> str:
    """The command line without the options that only place the results.

    The program is reduced to its file name and ``--out DIR``, ``--force``,
    ``--timestamp``, ``-q`` and ``-v`` are left out: two runs that differ only
    in where they write record the same command.
    """
    args = list(argv)
    out = [Path(args[0]).name] if args else []
    skip = False
    for arg in args[1:]:
        if skip:
            skip = False
            continue
        if arg in _PLACEMENT_OPTIONS:
            skip = True
            continue
        if arg in _PLACEMENT_FLAGS or arg.startswith(tuple(f"{o}=" for o in _PLACEMENT_OPTIONS)):
            continue
        out.append(arg)
    return shlex.join(out)


def lock_file_status(lock_file: Path = LOCK_FILE) -> dict[str, str]:
    """SHA-256 of the lock file and whether the installed versions match it.

    Returns
    -------
    dict
        ``lock_file_sha256`` (empty when there is no lock file) and
        ``lock_file_match``: ``"yes"``, ``"no: NAME installed X, locked Y; ..."``
        or ``"no lock file"``.
    """
    if not lock_file.is_file():
        return {"lock_file_sha256": "", "lock_file_match": "no lock file"}
    text = lock_file.read_text(encoding="utf-8")
    mismatches = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" not in line:
            continue
        name, _, locked = line.partition("==")
        name = name.split("[", 1)[0].strip()
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "not installed"
        if installed != locked.strip():
            mismatches.append(f"{name} installed {installed}, locked {locked.strip()}")
    return {
        "lock_file_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "lock_file_match": "yes" if not mismatches else "no: " + "; ".join(mismatches),
    }


def relative_path(path: str | Path, folder: str | Path) -> str:
    """``path`` relative to the results ``folder`` (POSIX separators), for result files."""
    rel = os.path.relpath(Path(path).resolve(), Path(folder).resolve())
    return Path(rel).as_posix()


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
        The command line that produced the result (default ``sys.argv``);
        recorded without the options that only place the results
        (:func:`reproducible_command`).

    Returns
    -------
    dict
        ``scenario_yaml``, ``scenario_sha256``, ``input_sha256``,
        ``package_versions``, ``lock_file_sha256``, ``lock_file_match``,
        ``command`` and, only when asked for (:func:`creation_time`), ``created_utc``.
    """
    argv = sys.argv if command is None else shlex.split(command)
    out = {
        "scenario_yaml": scenario_text,
        "scenario_sha256": hashlib.sha256(scenario_text.encode("utf-8")).hexdigest(),
        "input_sha256": json.dumps(dict(sorted(input_hashes.items()))),
        "package_versions": json.dumps(package_versions()),
        **lock_file_status(),
        "command": reproducible_command(argv),
    }
    created = creation_time()
    if created is not None:
        out["created_utc"] = created
    return out


def _pid_alive(pid: int) -> bool:
    """True when a process with this id exists (it may belong to another user)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers(parent: str | Path) -> list[Path]:
    """Remove temporary folders that killed writers left in ``parent``.

    A ``.NAME.tmp-<pid>-<hex>`` folder whose process is gone holds a partial
    result and is removed.  A ``.NAME.old-<pid>-<hex>`` folder whose process
    is gone is the previous ``NAME`` that was being replaced: it is removed when
    ``NAME`` exists and renamed back to ``NAME`` when it does not.  Folders of
    live processes are left alone.  Each action is logged as a warning.

    Returns
    -------
    list of Path
        The leftover folders found and handled.
    """
    parent = Path(parent)
    handled: list[Path] = []
    if not parent.is_dir():
        return handled
    for entry in sorted(parent.iterdir()):
        m = _LEFTOVER.match(entry.name)
        if m is None or not entry.is_dir() or _pid_alive(int(m["pid"])):
            continue
        target = parent / m["name"]
        if m["kind"] == "old" and not target.exists():
            entry.rename(target)
            log.warning("restored %s from %s, left by interrupted process %s",
                        target, entry.name, m["pid"])
        else:
            shutil.rmtree(entry, ignore_errors=True)
            log.warning("removed %s, left by interrupted process %s", entry, m["pid"])
        handled.append(entry)
    return handled


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
    remove_leftovers(target.parent)
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
        old = target.parent / f".{target.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}"
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


def _network_variable_rank(name: str, list_names: Sequence[str]) -> int:
    """Position of a network variable's component in ``list_names`` (-1: network-wide)."""
    for rank, list_name in enumerate(list_names):
        if name == f"{list_name}_i" or name.startswith(f"{list_name}_"):
            return rank
    return -1


def write_network_netcdf(network: pypsa.Network, path: str | Path) -> None:
    """Write a PyPSA network like ``network.export_to_netcdf(path)``, in a fixed order.

    PyPSA walks its components in set order, which changes from one process to
    the next; here the components follow in alphabetical order of their list
    names (``buses``, ``carriers``, ``generators``...), each with its
    variables in PyPSA's own order, so the same network gives the same bytes.
    ``pypsa.Network(path)`` reads the file as before.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyPSA's pandas deprecation notices on export
        ds = network.export_to_netcdf(None)  # the dataset only, with PyPSA's encodings
    # longest list names first, so "transformer_types" is not taken for "transformers"
    list_names = sorted(
        (str(network.components[c].list_name) for c in network.all_components),
        key=lambda n: (-len(n), n),
    )
    order = sorted(list_names)

    def key(name: object) -> int:
        owner = _network_variable_rank(str(name), list_names)
        return -1 if owner < 0 else order.index(list_names[owner])

    coords = {k: ds.variables[k] for k in sorted(ds.coords, key=key)}
    data = {k: ds.variables[k] for k in sorted(ds.data_vars, key=key)}
    stable = xr.Dataset(data_vars=data, coords=coords, attrs=dict(sorted(ds.attrs.items())))
    # as PyPSA writes it: string inference off keeps NaN in text columns (the option is
    # deprecated in pandas 3, hence the warning filter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        with pd.option_context("future.infer_string", False):
            stable.to_netcdf(Path(path))
