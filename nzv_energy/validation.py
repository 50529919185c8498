"""Scenario validation: pydantic errors to one clear message, and cross-field checks.

Each ``check_*`` function raises :class:`~nzv_energy.errors.ScenarioError`
naming the file, the field path, the value and what is allowed.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from nzv_energy.errors import MISSING, ScenarioError
from nzv_energy.scenario import (
    CapacityRange,
    Location,
    Scenario,
    distance_km,
    pipeline_lengths_km,
)


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class that holds the field at ``loc`` (for key suggestions)."""
    current: Any = model
    for part in loc:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        if isinstance(part, int):
            continue
        field = current.model_fields.get(str(part))
        if field is None:
            # a dict key (site name): the model of the dict values
            return None
        ann = field.annotation
        current = _unwrap_model(ann)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap_model(ann: Any) -> Any:
    """Find a BaseModel inside an annotation (dict values, Optional, Union)."""
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in getattr(ann, "__args__", ()) or ():
        found = _unwrap_model(arg)
        if found is not None:
            return found
    return None


def _parent_model(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """Model class holding the last element of ``loc`` (walks dict-of-model fields)."""
    current: Any = Scenario
    parts = list(loc[:-1])
    i = 0
    while i < len(parts):
        part = parts[i]
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        ann = field.annotation
        origin = getattr(ann, "__origin__", None)
        if origin is dict or any(
            getattr(a, "__origin__", None) is dict for a in getattr(ann, "__args__", ()) or ()
        ):
            i += 1  # skip the dict key (e.g. site name; also of an optional dict)
        current = _unwrap_model(ann)
        i += 1
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop union-branch labels pydantic inserts (``float``, ``CapacityRange``...)."""
    out = []
    for part in loc:
        if isinstance(part, str) and (
            part in {"float", "int", "str", "bool", "none", "function-after[_min_not_above_max()]"}
            or part[:1].isupper()
            or part.startswith(("constrained-", "function-", "is-instance", "tagged-union"))
        ):
            continue
        out.append(part)
    return tuple(out)


def from_validation_error(err: ValidationError, file: str | Path | None) -> ScenarioError:
    """Turn the most telling pydantic error into one :class:`ScenarioError`."""
    errors = err.errors(include_url=False)
    # prefer the error of the dict/range branch when a number-or-range failed on both
    chosen = errors[0]
    for e in errors:
        if e["type"] in {"extra_forbidden", "missing"}:
            chosen = e
            break
        if e["type"] == "value_error":
            chosen = e
    loc = _clean_loc(tuple(chosen["loc"]))
    field = ".".join(str(p) for p in loc) or "(top level)"
    value = chosen.get("input")
    kind = chosen["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else ""
        parent = _parent_model(loc)
        valid = sorted(parent.model_fields) if parent is not None else []
        close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
        hint = f" — did you mean '{close[0]}'?" if close else ""
        allowed = f"unknown key{hint} Allowed keys here: {', '.join(valid)}"
        return ScenarioError(file, field, key, allowed)
    if kind == "missing":
        return ScenarioError(file, field, MISSING, "this key is required")
    msg = chosen["msg"]
    if kind == "value_error":
        msg = msg.removeprefix("Value error, ")
    if kind.startswith(("float", "int")) and isinstance(value, Mapping):
        msg = "a number (fixed) or a mapping {min: ..., max: ...} (sized by the optimiser)"
    if kind in {"float_type", "float_parsing", "int_type", "int_parsing"}:
        msg = msg + " (a number, or {min: ..., max: ...} for a capacity to be sized)"
    return ScenarioError(file, field, value, msg[0].lower() + msg[1:] if msg else "invalid")


def check_hydrogen_sites(scenario: Scenario, file: str | Path | None) -> None:
    """Storage sites must be scenario sites; the demand site must not clash with one."""
    sites = list(scenario.sites)
    for name in scenario.hydrogen.storage_mwh:
        if name not in sites:
            close = difflib.get_close_matches(name, sites, n=1)
            hint = f" — did you mean '{close[0]}'?" if close else ""
            raise ScenarioError(
                file,
                f"hydrogen.storage_mwh.{name}",
                name,
                f"a site of this scenario ({', '.join(sites)}){hint}",
            )
    if scenario.hydrogen.demand.site in sites:
        raise ScenarioError(
            file,
            "hydrogen.demand.site",
            scenario.hydrogen.demand.site,
            "a name different from the supply sites (the demand is served by pipeline)",
        )


def check_site_names(scenario: Scenario, file: str | Path | None) -> None:
    """Site names are identifiers (used as netCDF coordinates and CSV column prefixes)."""
    for name in scenario.sites:
        if not name.replace("_", "").isalnum() or not name[0].isalpha():
            raise ScenarioError(
                file, f"sites.{name}", name, "a name of letters, digits and '_' (e.g. boxberg)"
            )


def check_battery_pairs(scenario: Scenario, file: str | Path | None) -> None:
    """Battery power without energy (or energy without power) cannot operate."""
    for name, site in scenario.sites.items():
        p, e = site.battery_mw, site.battery_mwh
        p_max = p.max if isinstance(p, CapacityRange) else p
        e_max = e.max if isinstance(e, CapacityRange) else e
        if (p_max > 0) != (e_max > 0):
            bad = "battery_mwh" if p_max > 0 else "battery_mw"
            raise ScenarioError(
                file,
                f"sites.{name}.{bad}",
                e if bad == "battery_mwh" else p,
                "a positive value when the other battery rating is positive (or both 0)",
            )


def check_electrolysis_curve(scenario: Scenario, file: str | Path | None) -> None:
    """Check the electrolyser's efficiency curve and degradation.

    The part-load point lies above the minimum load; hydrogen output rises with load;
    the degradation leaves some efficiency within the stack's life. The same rules as
    the dispatch's parameter check
    (:func:`nzv_energy.dispatch.parameters.check_dispatch_parameters`), here with the
    file and field, so that ``validate`` accepts only what ``simulate`` runs.
    """
    el = scenario.technology.electrolysis
    if el.part_load_point_fraction < el.min_load_fraction:
        raise ScenarioError(
            file,
            "technology.electrolysis.part_load_point_fraction",
            el.part_load_point_fraction,
            f"a value at or above min_load_fraction ({el.min_load_fraction})",
        )
    knee_h2 = el.part_load_point_fraction * el.part_load_efficiency
    if el.part_load_point_fraction < 1.0 and not el.efficiency > knee_h2:
        raise ScenarioError(
            file,
            "technology.electrolysis.efficiency",
            el.efficiency,
            f"a rated efficiency above part_load_point_fraction x part_load_efficiency "
            f"({knee_h2:g}): hydrogen output must rise with load",
        )
    if el.degradation_fraction_per_1000h * el.stack_lifetime_hours / 1000.0 >= 1.0:
        raise ScenarioError(
            file,
            "technology.electrolysis.degradation_fraction_per_1000h",
            el.degradation_fraction_per_1000h,
            f"less than 1000 / stack_lifetime_hours ({1000.0 / el.stack_lifetime_hours:g}): "
            "the stack keeps some efficiency until it is replaced",
        )


def check_vpp(scenario: Scenario, file: str | Path | None) -> None:
    """Rolling-horizon windows must fit the optimisation window."""
    if scenario.vpp.commit_h > scenario.vpp.horizon_h:
        raise ScenarioError(file, "vpp.commit_h", scenario.vpp.commit_h, "at most vpp.horizon_h")


def check_price_years(scenario: Scenario, file: str | Path | None) -> None:
    """Built-in price series: each weather year gets its own prices unless aligned explicitly.

    CSV price files are checked in the same way when they are read
    (:func:`nzv_energy.prices.load_prices`); weather years the weather source
    lacks are reported by the weather loader.
    """
    from nzv_energy.prices import BUILTIN_PRICE_YEARS, TIMEZONE_FIELD, match_price_years
    from nzv_energy.profiles import available_years, is_builtin_source

    spec = scenario.economics.price_series
    if spec.source not in BUILTIN_PRICE_YEARS:
        return
    if spec.timezone != "UTC":
        raise ScenarioError(
            file, TIMEZONE_FIELD, spec.timezone, "UTC for a built-in price series (CSV only)"
        )
    weather = scenario.weather
    years = list(weather.years)
    if is_builtin_source(weather.source):
        years = [y for y in years if y in available_years(weather.source)]
    try:
        match_price_years(spec, years, list(BUILTIN_PRICE_YEARS[spec.source]), weather.source)
    except ScenarioError as err:
        raise ScenarioError(file, err.field, err.value, err.allowed) from None


def check_csv_weather_options(scenario: Scenario, file: str | Path | None) -> None:
    """``weather.timezone`` is for CSV files; a CSV is scaled only when the scenario says so."""
    from nzv_energy.profiles import is_builtin_source

    weather = scenario.weather
    if is_builtin_source(weather.source):
        if weather.timezone != "UTC":
            raise ScenarioError(
                file,
                "weather.timezone",
                weather.timezone,
                f"UTC for the built-in {weather.source} (a time zone is given for CSV files)",
            )
        return
    if weather.scale_csv_to_full_load_hours:
        return
    for name, site in scenario.sites.items():
        for tech in ("wind", "pv"):
            target = getattr(site, f"{tech}_full_load_hours")
            if target is not None:
                raise ScenarioError(
                    file,
                    f"sites.{name}.{tech}_full_load_hours",
                    target,
                    f"no target while the weather CSV {weather.source} is used as given; to "
                    "scale the file to the sites' full-load hours set weather: "
                    "{scale_csv_to_full_load_hours: true}",
                )


def check_heat(scenario: Scenario, file: str | Path | None) -> None:
    """The ``heat:`` block names sites of the scenario and networks fed from them."""
    if scenario.heat is None:
        return
    from nzv_energy.heat.assets import heat_config_from_mapping

    heat_config_from_mapping(
        {site: block.model_dump(exclude_unset=True) for site, block in scenario.heat.items()},
        file,
        scenario.site_names,
    )


ALL_CHECKS = (
    check_site_names,
    check_hydrogen_sites,
    check_battery_pairs,
    check_electrolysis_curve,
    check_vpp,
    check_price_years,
    check_csv_weather_options,
    check_heat,
)


def check_scenario(scenario: Scenario, file: str | Path | None) -> None:
    """Run every cross-field check; raise the first :class:`ScenarioError`."""
    for check in ALL_CHECKS:
        check(scenario, file)


# ---- plausibility: warnings, not errors ---------------------------------------------------------

#: Centre of the Lausitz used by the plausibility warnings (between Hoyerswerda and Spremberg).
LAUSITZ_CENTRE = Location(lat=51.45, lon=14.30)
#: Locations farther than this from :data:`LAUSITZ_CENTRE` are reported, km.
REGION_RADIUS_KM = 100.0
#: Sites farther than this from each other or from the demand location are reported, km.
MAX_SPREAD_KM = 150.0


def _fmt_location(loc: Location) -> str:
    return f"{{lat: {loc.lat:g}, lon: {loc.lon:g}}}"


def plausibility_warnings(scenario: Scenario, file: str | Path | None) -> list[str]:
    """Messages on locations that are valid but implausible (e.g. lat and lon swapped).

    The toolkit models the former lignite sites of the Lausitz: its weather
    profiles are German (ENTSO-E Germany, DWD test reference year region 4), its
    prices those of the German bidding zone, its pipeline costs grow with the
    distance to the off-taker. The Lausitz spans about 130 km from north to south
    (Lübben to Zittau) and 120 km from west to east (Luckau to Görlitz); its towns
    lie within about 70 km of :data:`LAUSITZ_CENTRE` (Zittau 71 km, Guben 63 km,
    Lübben 61 km), and two points of it are less than about 150 km apart. So a
    location is reported when it lies

    * more than ``REGION_RADIUS_KM`` = 100 km from the centre (outside the region
      by some 30 km), or, for a site,
    * more than ``MAX_SPREAD_KM`` = 150 km from the demand location (a pipeline
      longer than the region is wide), or
    * more than 150 km from another site (once per pair, and only when neither
      site is reported already: a site moved far away is reported for itself, not
      again at every other site).

    The shipped sites lie 10-44 km from the centre and 33-56 km from
    Schwarzheide; with lat and lon swapped, Jänschwalde would lie 5,300 km away.

    Parameters
    ----------
    scenario
        A validated scenario.
    file
        The scenario file (named in the messages).

    Returns
    -------
    list of str
        One message per implausible location, naming the file, the field, the
        value and what was expected; empty when all is plausible.
    """
    where = f"{file}: " if file is not None else ""
    demand = scenario.hydrogen.demand
    lengths = pipeline_lengths_km(scenario)
    messages = []
    flagged: set[str] = set()
    for name, site in scenario.sites.items():
        loc = site.location
        reasons = []
        from_centre = distance_km(loc, LAUSITZ_CENTRE)
        if from_centre > REGION_RADIUS_KM:
            reasons.append(f"{from_centre:,.0f} km from the Lausitz")
        to_demand = distance_km(loc, demand.location)
        if to_demand > MAX_SPREAD_KM:
            reasons.append(
                f"{to_demand:,.0f} km from the demand at {demand.site} "
                f"(pipeline {lengths[name]:,.0f} km)"
            )
        if reasons:
            flagged.add(name)
            messages.append(_location_message(where, f"sites.{name}.location", loc, reasons))
    names = list(scenario.sites)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            apart = distance_km(scenario.sites[a].location, scenario.sites[b].location)
            if apart > MAX_SPREAD_KM and a not in flagged and b not in flagged:
                flagged.add(b)
                messages.append(
                    _location_message(
                        where, f"sites.{b}.location", scenario.sites[b].location,
                        [f"{apart:,.0f} km from site {a}"],
                    )
                )
    from_centre = distance_km(demand.location, LAUSITZ_CENTRE)
    if from_centre > REGION_RADIUS_KM:
        messages.append(
            _location_message(
                where,
                "hydrogen.demand.location",
                demand.location,
                [f"{from_centre:,.0f} km from the Lausitz"],
            )
        )
    return messages


def _location_message(where: str, field: str, loc: Location, reasons: list[str]) -> str:
    swapped = Location.model_construct(lat=loc.lon, lon=loc.lat)
    hint = ""
    if abs(loc.lon) <= 90 and distance_km(swapped, LAUSITZ_CENTRE) <= REGION_RADIUS_KM:
        hint = " - are lat and lon swapped?"
    return (
        f"{where}{field}: got {_fmt_location(loc)}; {', '.join(reasons)}: expected within "
        f"{REGION_RADIUS_KM:g} km of the Lausitz ({LAUSITZ_CENTRE.lat:g} N, "
        f"{LAUSITZ_CENTRE.lon:g} E) and {MAX_SPREAD_KM:g} km of the other sites and the "
        f"demand{hint} (a warning: the scenario is used as given)"
    )
