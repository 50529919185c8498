"""Read scenario files: YAML, ``extends:`` inheritance, technology defaults, validation."""

from __future__ import annotations

import copy
import difflib
import hashlib
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from nzv_energy.errors import ScenarioError
from nzv_energy.scenario import Scenario
from nzv_energy.technology import available_cost_years, default_technology
from nzv_energy.validation import check_scenario, from_validation_error, plausibility_warnings

log = logging.getLogger(__name__)

SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "scenarios"
MAX_EXTENDS_DEPTH = 10


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into a copy of ``base``; nested mappings merge key by key.

    A mapping that replaces a number (or the reverse, e.g. a fixed capacity made a
    ``{min, max}`` range) replaces it whole.
    """
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class _Loader(yaml.SafeLoader):
    """Safe YAML loader that also reads ``1e9`` (no dot) as a float, as YAML 1.2 does."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def read_yaml(path: Path) -> dict[str, Any]:
    """Read one YAML mapping; syntax errors become :class:`ScenarioError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(path, "file", str(path), "an existing scenario file") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise ScenarioError(path, "file", str(path), f"a readable UTF-8 file ({exc})") from None
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(path, where, problem, "valid YAML syntax") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(path, "(top level)", data, "a mapping of keys (name:, sites:, ...)")
    return data


def _extends_target(path: Path, parent: str) -> Path | None:
    """The file an ``extends:`` value names: a path relative to ``path``, else a shipped name.

    A file next to the scenario wins over a shipped scenario of the same name, as for the
    command line (:func:`resolve_scenario`).
    """
    candidate = (path.parent / parent).resolve()
    if candidate.is_file():
        return candidate
    if "/" not in parent and "\\" not in parent and not parent.endswith((".yaml", ".yml")):
        shipped = shipped_scenarios().get(parent.strip())
        if shipped is not None:
            return shipped.resolve()
    return None


def resolve_extends(
    path: Path, depth: int = 0, _chain: tuple[Path, ...] = ()
) -> dict[str, Any]:
    """Raw scenario mapping of ``path`` with its ``extends:`` chain merged in."""
    data = read_yaml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(path, "extends", parent, "a path to another scenario file")
    if depth >= MAX_EXTENDS_DEPTH:
        raise ScenarioError(path, "extends", parent, f"at most {MAX_EXTENDS_DEPTH} levels")
    chain = (*_chain, Path(path).resolve())
    parent_path = _extends_target(path, parent)
    if parent_path is None:
        raise ScenarioError(
            path, "extends", parent,
            "a path (relative to this file) to an existing scenario file, or the name of a "
            f"shipped scenario ({', '.join(shipped_scenarios())})",
        )
    if parent_path in chain:
        loop = " -> ".join(p.name for p in (*chain, parent_path))
        raise ScenarioError(
            path, "extends", parent, f"a scenario that does not extend itself ({loop})"
        )
    base = resolve_extends(parent_path, depth + 1, chain)
    return deep_merge(base, data)


def _unknown_keys_first(err: ValidationError) -> ValidationError:
    """Only the unknown-key errors of ``err`` when it has any, else ``err`` itself.

    A misspelt required key (``hydorgen:``) fails twice: ``hydrogen`` is missing and
    ``hydorgen`` is unknown.  The unknown key is the one to report, since its message
    suggests the key meant (at every level of the file).
    """
    unknown = [e for e in err.errors(include_url=False) if e["type"] == "extra_forbidden"]
    if not unknown or len(unknown) == err.error_count():
        return err
    return ValidationError.from_exception_data(
        err.title,
        [{"type": "extra_forbidden", "loc": e["loc"], "input": e["input"]} for e in unknown],
    )


def scenario_from_mapping(raw: Mapping[str, Any], file: str | Path | None = None) -> Scenario:
    """Validate a raw scenario mapping (no ``extends``) into a :class:`Scenario`.

    Technology defaults for the scenario's cost year are filled in first; keys
    under ``technology:`` override them.
    """
    data = dict(raw)
    economics = data.get("economics") or {}
    cost_year = economics.get("cost_year", 2030) if isinstance(economics, Mapping) else 2030
    years = available_cost_years()
    if cost_year not in years:
        raise ScenarioError(
            file,
            "economics.cost_year",
            cost_year,
            f"one of the cost years in inputs/costs.csv: {', '.join(map(str, years))}",
        )
    user_tech = data.get("technology") or {}
    if not isinstance(user_tech, Mapping):
        raise ScenarioError(file, "technology", user_tech, "a mapping of technology sections")
    data["technology"] = deep_merge(default_technology(cost_year), user_tech)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise from_validation_error(_unknown_keys_first(err), file) from None
    check_scenario(scenario, file)
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge (``extends:``) and validate a scenario file.

    Parameters
    ----------
    path
        YAML scenario file.

    Returns
    -------
    Scenario
        Frozen, validated scenario with technology defaults resolved.

    Raises
    ------
    ScenarioError
        On any invalid content; the message names file, field, value and what is allowed.

    Notes
    -----
    Valid but implausible content (e.g. a site far from the Lausitz, lat and lon
    swapped) is logged as a warning (:func:`~nzv_energy.validation.plausibility_warnings`).
    """
    p = Path(path)
    raw = resolve_extends(p)
    scenario = scenario_from_mapping(raw, p)
    for message in plausibility_warnings(scenario, p):
        log.warning(message)
    return scenario


def shipped_scenarios() -> dict[str, Path]:
    """The scenarios shipped in ``scenarios/``: name (file stem) -> file, sorted by name."""
    return {p.stem: p for p in sorted(SCENARIOS_DIR.glob("*.yaml"))}


def declared_name(path: str | Path) -> str | None:
    """The ``name:`` a scenario file declares (``extends:`` merged), before validation.

    ``None`` when the name is missing or not a string; the file is not validated.
    """
    name = resolve_extends(Path(path)).get("name")
    return name if isinstance(name, str) else None


def resolve_scenario(value: str | Path) -> Path:
    """The scenario file meant by ``value``: a path, or the name of a shipped scenario.

    A value without a folder or ``.yaml`` suffix that is no file is looked up in
    ``scenarios/`` (``lausitz_2030`` -> ``scenarios/lausitz_2030.yaml``); a path is
    returned as given (:func:`load_scenario` reports a missing file).

    Raises
    ------
    ScenarioError
        ``value`` is neither a file nor a shipped name; the message lists the
        shipped names and the closest one.
    """
    path = Path(value)
    text = str(value)
    if path.is_file() or "/" in text or "\\" in text or path.suffix.lower() in (".yaml", ".yml"):
        return path
    shipped = shipped_scenarios()
    if text in shipped:
        return shipped[text]
    close = difflib.get_close_matches(text, list(shipped), n=1, cutoff=0.6)
    hint = f" — did you mean '{close[0]}'?" if close else ""
    raise ScenarioError(
        None,
        "SCENARIO",
        text,
        f"a scenario file or the name of a shipped scenario{hint} Shipped: "
        f"{', '.join(shipped)} ('nzv scenarios' describes them)",
    )


def scenario_text_and_hash(path: str | Path) -> tuple[str, str]:
    """The merged scenario as YAML text and its SHA-256 (for provenance)."""
    raw = resolve_extends(Path(path))
    text = yaml.safe_dump(raw, sort_keys=True, allow_unicode=True)
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_fields() -> dict[str, tuple[str, ...]]:
    """Scenario fields that may name a data file, with their built-in (no file) values.

    A relative path in such a field is read against the scenario file's folder.
    """
    # imported here: the data modules load pandas and xarray, reading a scenario does not
    from nzv_energy.grid_carbon import BUILTIN
    from nzv_energy.prices import PRICE_SOURCES
    from nzv_energy.profiles import PROFILE_SOURCES

    return {
        "weather.source": PROFILE_SOURCES,
        "economics.electricity_price.source": PRICE_SOURCES,
        "economics.grid_carbon_intensity": (BUILTIN,),
        "hydrogen.demand.profile": ("flat",),
        "vpp.reserves.prices_csv": (),
    }


def rebase_file_paths(data: dict[str, Any], scenario_dir: Path, out_dir: Path) -> None:
    """Rewrite the relative data-file paths of a dumped scenario for a file in ``out_dir``.

    Each :func:`file_fields` value that is a relative path (read against
    ``scenario_dir``) becomes the path of the same file relative to ``out_dir``
    (POSIX separators), or absolute where no relative path exists (another drive).
    Built-in source names, absolute paths and absent sections stay as they are.
    """
    from nzv_energy.results_io import relative_path

    for field, builtin in file_fields().items():
        *parents, key = field.split(".")
        node: Any = data
        for name in parents:
            node = node.get(name) if isinstance(node, dict) else None
        value = node.get(key) if isinstance(node, dict) else None
        if not isinstance(value, str) or value in builtin or Path(value).is_absolute():
            continue
        target = (Path(scenario_dir) / value).resolve()
        try:
            node[key] = relative_path(target, out_dir)
        except ValueError:  # no relative path between drives
            node[key] = target.as_posix()


def scenario_to_yaml(
    scenario: Scenario, *, scenario_dir: Path | None = None, out_dir: Path | None = None
) -> str:
    """Write a scenario (e.g. a sized one) as YAML that loads back to the same scenario.

    With ``scenario_dir`` (the folder of the file the scenario was read from) and
    ``out_dir`` (the folder the YAML is written to), relative data-file paths are
    rewritten so that they name the same files from there (:func:`rebase_file_paths`).
    """
    data = scenario.model_dump(mode="json", exclude_none=True)
    if scenario_dir is not None and out_dir is not None:
        rebase_file_paths(data, scenario_dir, out_dir)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
