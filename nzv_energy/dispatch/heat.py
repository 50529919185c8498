"""District heat in the dispatch: the scenario's ``heat:`` block as kernel arrays, and back.

:func:`heat_arrays` turns the heat configuration of a scenario
(:attr:`nzv_energy.scenario.Scenario.heat`) into the heat arrays of
:func:`nzv_energy.kernels.dispatch.simulate_year` (hourly demand and COPs of
every site, capacities, parameters, per-site settings); :func:`heat_dataset_variables`
turns the kernel's hourly heat rows into dataset variables named and described
as in :data:`nzv_energy.heat.simulate.HEAT_VARIABLES`. Sites without a heat block
get zero demand and no heat assets. Rules: ``docs/dispatch.md`` (rule 9) and
``docs/district_heat.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from nzv_energy.errors import InputDataError
from nzv_energy.heat.costs import COST_TABLE
from nzv_energy.heat.inputs import (
    TRY_FILE,
    heat_capacity_vector,
    heat_parameter_vector,
    site_heat_inputs,
)
from nzv_energy.heat.networks import NETWORKS_FILE
from nzv_energy.heat.simulate import HEAT_VARIABLES
from nzv_energy.kernels import dispatch as kd
from nzv_energy.kernels import heat as hk
from nzv_energy.profiles import file_sha256
from nzv_energy.scenario import Scenario

#: COP given to sites without heat assets (any value >= 1; nothing runs there).
_IDLE_COP = 2.0


@dataclass(frozen=True)
class HeatArrays:
    """The heat arrays of a scenario in kernel layout (all weather years concatenated).

    Attributes
    ----------
    heat_in
        ``(n_hours, N_HEAT_IN, n_sites)`` demand (MW_th) and COPs per hour and site.
    cap, par
        ``(n_sites, N_HEAT_CAP)`` capacities and ``(n_sites, N_HEAT_PAR)`` parameters.
    site
        ``(n_sites, N_HEAT_SITE)`` per-site settings (hydrogen CHP, initial store level).
    attrs
        Dataset attributes: temperature source, heat sites and their configuration.
    """

    heat_in: np.ndarray
    cap: np.ndarray
    par: np.ndarray
    site: np.ndarray
    attrs: dict[str, str] = field(default_factory=dict)

    def year(self, a: int, b: int) -> HeatArrays:
        """The arrays of hours ``a`` to ``b - 1`` (one weather year)."""
        return HeatArrays(np.ascontiguousarray(self.heat_in[a:b]), self.cap, self.par,
                          self.site, self.attrs)


def heat_arrays(
    scenario: Scenario, time: pd.DatetimeIndex, sites: tuple[str, ...]
) -> HeatArrays | None:
    """Kernel heat arrays of ``scenario`` over the hours ``time``; ``None`` without heat.

    Raises
    ------
    ScenarioError
        A heat capacity is still a ``{min, max}`` range (size it first).
    InputDataError
        The heat inputs do not cover an hour of ``time``.
    """
    if scenario.heat is None:
        return None
    n_h, n_s = len(time), len(sites)
    heat_in = np.zeros((n_h, kd.N_HEAT_IN, n_s))
    heat_in[:, kd.HI_COP_HEAT_PUMP, :] = _IDLE_COP
    heat_in[:, kd.HI_COP_WASTE_HEAT, :] = _IDLE_COP
    cap = np.zeros((n_s, hk.N_HEAT_CAP))
    par = np.zeros((n_s, hk.N_HEAT_PAR))
    par[:, hk.HP_CHP_C_B] = 1.0
    par[:, hk.HP_ELECTRIC_BOILER_EFFICIENCY] = 1.0
    par[:, hk.HP_GAS_BOILER_EFFICIENCY] = 1.0
    site_par = np.zeros((n_s, kd.N_HEAT_SITE))
    eco = scenario.economics
    cost_year = eco.cost_year
    years = tuple(sorted({int(y) for y in time.year}))
    temperature_source = ""
    config: dict[str, dict[str, object]] = {}
    for s, name in enumerate(sites):
        block = scenario.heat.get(name)
        if block is None:
            continue
        hourly = site_heat_inputs(block, years)
        index = pd.DatetimeIndex(hourly.time)
        pos = index.get_indexer(time)
        if (pos < 0).any():
            hour = int(np.flatnonzero(pos < 0)[0])
            raise InputDataError(None, f"heat.{name} inputs", str(time[hour]),
                                 "heat demand and COPs for every hour of the weather years")
        heat_in[:, kd.HI_HEAT_DEMAND_MW, s] = hourly.demand_mw[pos]
        heat_in[:, kd.HI_COP_HEAT_PUMP, s] = hourly.cop_heat_pump[pos]
        heat_in[:, kd.HI_COP_WASTE_HEAT, s] = hourly.cop_waste_heat[pos]
        cap[s] = heat_capacity_vector(block, cost_year)
        par[s] = heat_parameter_vector(
            block, cost_year,
            gas_price_eur_per_mwh=eco.gas_price_eur_per_mwh,
            co2_price_eur_per_t=eco.co2_price_eur_per_t,
            natural_gas_co2_t_per_mwh=scenario.technology.gas_backup.natural_gas_co2_t_per_mwh,
            hydrogen_value_eur_per_mwh=eco.hydrogen_value_eur_per_mwh,
        )
        site_par[s, kd.HS_CHP_HYDROGEN_FUEL] = (
            1.0 if block.chp is not None and block.chp.fuel == "hydrogen" else 0.0
        )
        if block.thermal_storage is not None:
            site_par[s, kd.HS_INITIAL_STORAGE_FRACTION] = block.thermal_storage.initial_fraction
        temperature_source = str(hourly.attrs["temperature_source"])
        config[name] = {
            **{k: v for k, v in hourly.attrs.items() if k != "temperature_source"},
            "chp_fuel": block.chp.fuel if block.chp is not None else "none",
        }
    attrs = {
        "heat_temperature_source": temperature_source,
        "heat_sites": json.dumps(config, sort_keys=True),
        "heat_rules": "docs/dispatch.md (rule 9), docs/district_heat.md",
    }
    return HeatArrays(np.ascontiguousarray(heat_in), cap, par, site_par, attrs)


def check_heat_arrays(heat: HeatArrays, n_hours: int, n_sites: int) -> None:
    """Check heat arrays given directly (tests, studies) before the kernel trusts them.

    Raises
    ------
    InputDataError
        A shape does not match, a demand or capacity is negative or not finite,
        a COP below 1 (waste heat: not above 1), a parameter NaN, a setting
        outside [0, 1].
    """
    shapes = (
        ("heat_in", heat.heat_in, (n_hours, kd.N_HEAT_IN, n_sites)),
        ("heat capacities", heat.cap, (n_sites, hk.N_HEAT_CAP)),
        ("heat parameters", heat.par, (n_sites, hk.N_HEAT_PAR)),
        ("heat site settings", heat.site, (n_sites, kd.N_HEAT_SITE)),
    )
    for name, arr, shape in shapes:
        if np.shape(arr) != shape:
            raise InputDataError(None, name, np.shape(arr), f"shape {shape}")
    demand = heat.heat_in[:, kd.HI_HEAT_DEMAND_MW]
    cop = heat.heat_in[:, kd.HI_COP_HEAT_PUMP]
    cop_w = heat.heat_in[:, kd.HI_COP_WASTE_HEAT]
    checks = (
        ("heat_demand_mw", ~np.isfinite(demand) | (demand < 0), "a finite number >= 0"),
        ("cop_heat_pump", ~np.isfinite(cop) | (cop < 1), "a finite COP >= 1"),
        ("cop_waste_heat", ~np.isfinite(cop_w) | (cop_w <= 1), "a finite COP above 1"),
        ("heat capacities", ~np.isfinite(heat.cap) | (heat.cap < 0), "finite numbers >= 0"),
        ("heat parameters", np.isnan(heat.par), "numbers (not NaN)"),
        ("heat site settings", ~((heat.site >= 0) & (heat.site <= 1)), "numbers in [0, 1]"),
    )
    for name, bad, allowed in checks:
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            value = (demand, cop, cop_w, heat.cap, heat.par, heat.site)[
                [c[0] for c in checks].index(name)][idx]
            raise InputDataError(None, f"{name} at {idx}", float(value), allowed)


def heat_input_files(scenario: Scenario) -> list[Path]:
    """The data files the heat inputs of ``scenario`` are read from (none without heat)."""
    if scenario.heat is None:
        return []
    return [TRY_FILE, NETWORKS_FILE, COST_TABLE]


def heat_input_hashes(scenario: Scenario) -> dict[str, str]:
    """SHA-256 of each heat input file, by file name (for provenance)."""
    return {p.name: file_sha256(p) for p in heat_input_files(scenario)}


def heat_dataset_variables(heat_out: np.ndarray) -> dict[str, xr.Variable]:
    """Hourly heat rows ``(N_HEAT_OUT, n_hours, n_sites)`` as ``(time, site)`` variables.

    Names, units and long names are those of :data:`nzv_energy.heat.simulate.HEAT_VARIABLES`.
    """
    return {
        name: xr.Variable(("time", "site"), np.ascontiguousarray(heat_out[row]),
                          {"units": unit, "long_name": meaning})
        for row, (name, unit, meaning) in HEAT_VARIABLES.items()
    }
