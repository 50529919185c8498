"""Physical invariants of an hourly results dataset (balances, bounds, storage dynamics).

:func:`invariant_violations` measures, for every rule a dispatch must obey,
the largest violation over all hours and sites; :func:`assert_invariants`
raises when any exceeds a tolerance.  They work on any dataset of the
:mod:`nzv_energy.schema` (the numba dispatch, the optimiser, the scheduler).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

import numpy as np
import xarray as xr

from nzv_energy.kernels import dispatch as kd


def _v(ds: xr.Dataset, name: str) -> np.ndarray:
    var = ds[name]
    if "site" in var.dims:
        var = var.transpose("time", "site")
    return np.asarray(var.values, dtype=np.float64)


def _previous(
    ds: xr.Dataset, name: str, state_key: str, initial: np.ndarray,
    attr: str = "dispatch_start_state",
) -> np.ndarray | None:
    """Level at the end of the previous hour (first hour: the recorded start state)."""
    raw = ds.attrs.get(attr)
    if not raw:
        return None
    start = json.loads(raw)
    level = _v(ds, name)
    sites = [str(s) for s in ds["site"].values]
    years = ds["time"].dt.year.values
    prev = np.vstack([initial[None, :], level[:-1]])
    for i in np.flatnonzero(np.r_[True, years[1:] != years[:-1]]):
        year_state = start.get(str(years[i]))
        if year_state is None:
            return None
        prev[i] = [year_state[s][state_key] for s in sites]
    return prev


def invariant_violations(
    ds: xr.Dataset, cap: np.ndarray, par: np.ndarray
) -> dict[str, float]:
    """Largest violation of each invariant (0 when it holds exactly).

    Parameters
    ----------
    ds
        Hourly results (schema variables).
    cap
        ``(n_sites, N_CAP)`` capacities in the dataset's site order.
    par
        ``(N_PAR,)`` dispatch parameters (efficiencies, min load, standby).

    Returns
    -------
    dict
        Invariant name -> largest violation (MW, MWh or MW_H2).
    """
    v = {str(name): _v(ds, str(name)) for name in ds.data_vars}
    c = {i: np.asarray(cap[:, i], dtype=np.float64)[None, :] for i in range(kd.N_CAP)}
    out: dict[str, float] = {}

    def worst(name: str, values: np.ndarray) -> None:
        out[name] = float(np.max(values, initial=0.0))

    sources = (
        v["wind_mw"] + v["pv_mw"] + v["battery_discharge_mw"] + v["grid_import_mw"]
        + v["gas_backup_mw"]
    )
    sinks = (
        v["electrolysis_input_mw"] + v["battery_charge_mw"] + v["grid_export_mw"]
        + v["curtailment_mw"] + v["local_demand_mw"]
    )
    heat = "heat_demand_mw" in v
    h2_chp = np.zeros((1, cap.shape[0]))
    if heat:
        # district heat (rule 9): CHP power is a source, power for heat a sink; a hydrogen
        # CHP burns the site's hydrogen
        sources = sources + v["chp_electric_mw"]
        sinks = sinks + (v["booster_electricity_mw"] + v["heat_pump_electricity_mw"]
                         + v["electric_boiler_electricity_mw"])
        flags = json.loads(str(ds.attrs.get("heat_chp_hydrogen", "{}")))
        h2_chp = np.array([[float(flags.get(str(s), 0)) for s in ds["site"].values]])
    worst("electric_balance", np.abs(sources - sinks))
    h2_in = v["hydrogen_output_mw"] + v["hydrogen_storage_discharge_mw"]
    h2_out = (
        v["pipeline_flow_mw"] + v["hydrogen_storage_charge_mw"] + v["gas_backup_hydrogen_fuel_mw"]
    )
    if heat:
        h2_out = h2_out + h2_chp * v["chp_fuel_mw"]
        _heat_invariants(ds, v, worst)
    worst("hydrogen_balance", np.abs(h2_in - h2_out))
    worst(
        "delivered_equals_pipeline_flows",
        np.abs(v["pipeline_flow_mw"].sum(axis=1) - v["hydrogen_delivered_mw"]),
    )
    worst(
        "delivered_plus_unserved_equals_demand",
        np.abs(v["hydrogen_delivered_mw"] + v["unserved_hydrogen_mw"] - v["hydrogen_demand_mw"]),
    )
    negatives = [n for n in v if n != "price_eur_per_mwh"]
    worst("non_negative", np.concatenate([np.maximum(-v[n], 0).ravel() for n in negatives]))
    worst("wind_within_capacity", v["wind_mw"] - c[kd.C_WIND_MW])
    worst("pv_within_capacity", v["pv_mw"] - c[kd.C_PV_MW])
    worst("grid_import_within_connection", v["grid_import_mw"] - c[kd.C_GRID_CONNECTION_MW])
    worst("grid_export_within_connection", v["grid_export_mw"] - c[kd.C_GRID_CONNECTION_MW])
    worst("no_import_and_export_together", np.minimum(v["grid_import_mw"], v["grid_export_mw"]))
    worst("battery_charge_within_power", v["battery_charge_mw"] - c[kd.C_BATTERY_MW])
    worst("battery_discharge_within_power", v["battery_discharge_mw"] - c[kd.C_BATTERY_MW])
    worst(
        "battery_not_charging_and_discharging",
        np.minimum(v["battery_charge_mw"], v["battery_discharge_mw"]),
    )
    soc_min = par[kd.P_BATTERY_MIN_SOC_FRACTION] * c[kd.C_BATTERY_MWH]
    worst("battery_soc_within_bounds", np.maximum(
        v["battery_soc_mwh"] - c[kd.C_BATTERY_MWH], soc_min - v["battery_soc_mwh"]
    ))
    worst("hydrogen_storage_within_bounds", np.maximum(
        v["hydrogen_storage_mwh"] - c[kd.C_HYDROGEN_STORAGE_MWH], -v["hydrogen_storage_mwh"]
    ))
    worst("pipeline_within_capacity", v["pipeline_flow_mw"] - c[kd.C_PIPELINE_MW])
    worst("gas_backup_within_capacity", v["gas_backup_mw"] - c[kd.C_GAS_BACKUP_MW])
    worst(
        "gas_fuel_consistent",
        np.abs(v["gas_backup_fuel_mw"] * par[kd.P_GAS_BACKUP_EFFICIENCY] - v["gas_backup_mw"]),
    )
    worst("gas_hydrogen_fuel_within_fuel", v["gas_backup_hydrogen_fuel_mw"]
          - v["gas_backup_fuel_mw"])
    on = v["electrolysis_on"] > 0.5
    rating = c[kd.C_ELECTROLYSIS_MW]
    running = v["electrolysis_input_mw"] - v["electrolysis_standby_mw"]
    worst("electrolysis_within_rating", running - rating)
    worst(
        "electrolysis_at_or_above_min_load",
        np.where(on, par[kd.P_ELECTROLYSIS_MIN_LOAD_FRACTION] * rating - running, 0.0),
    )
    worst("electrolysis_off_means_no_power", np.where(on, 0.0, np.abs(running)))
    worst("no_hydrogen_when_off", np.where(on, 0.0, v["hydrogen_output_mw"]))
    worst(
        "standby_only_when_off",
        np.where(on, v["electrolysis_standby_mw"],
                 v["electrolysis_standby_mw"] - par[kd.P_ELECTROLYSIS_STANDBY_FRACTION] * rating),
    )
    worst(
        "hydrogen_within_rated_efficiency",
        v["hydrogen_output_mw"]
        - running
        * max(par[kd.P_ELECTROLYSIS_EFFICIENCY], par[kd.P_ELECTROLYSIS_PART_LOAD_EFFICIENCY]),
    )
    worst("local_demand_within_nominal", v["local_demand_mw"] - c[kd.C_LOCAL_DEMAND_MW])
    worst("rfnbo_within_output", v["rfnbo_hydrogen_mw"] - v["hydrogen_output_mw"])
    worst(
        "hydrogen_storage_not_charging_and_discharging",
        np.minimum(v["hydrogen_storage_charge_mw"], v["hydrogen_storage_discharge_mw"]),
    )
    prev_level = _previous(
        ds, "hydrogen_storage_mwh", "hydrogen_storage_mwh", np.zeros(cap.shape[0])
    )
    if prev_level is not None:
        worst("hydrogen_storage_dynamics", np.abs(
            prev_level + v["hydrogen_storage_charge_mw"] - v["hydrogen_storage_discharge_mw"]
            - v["hydrogen_storage_mwh"]
        ))
    prev_soc = _previous(ds, "battery_soc_mwh", "battery_soc_mwh", np.zeros(cap.shape[0]))
    if prev_soc is not None:
        worst("battery_soc_dynamics", np.abs(
            prev_soc + v["battery_charge_mw"] * par[kd.P_BATTERY_CHARGE_EFFICIENCY]
            - v["battery_discharge_mw"] / par[kd.P_BATTERY_DISCHARGE_EFFICIENCY]
            - v["battery_soc_mwh"]
        ))
    return out


def _heat_invariants(
    ds: xr.Dataset, v: Mapping[str, np.ndarray], add: Callable[[str, np.ndarray], None]
) -> None:
    """Heat balance, thermal store dynamics, no waste heat from a stopped electrolyser."""
    supply = (v["heat_from_waste_heat_mw"] + v["heat_pump_heat_mw"] + v["electric_boiler_heat_mw"]
              + v["chp_heat_mw"] + v["gas_boiler_heat_mw"] + v["thermal_storage_discharge_mw"]
              + v["unserved_heat_mw"])
    use = v["heat_demand_mw"] + v["thermal_storage_charge_mw"] + v["heat_dumped_mw"]
    add("heat_balance", np.abs(supply - use))
    add("heat_electricity_sources", np.abs(
        v["booster_electricity_mw"] + v["heat_pump_electricity_mw"]
        + v["electric_boiler_electricity_mw"] - v["heat_electricity_from_surplus_mw"]
        - v["heat_electricity_import_mw"]))
    add("no_waste_heat_when_off",
        np.where(v["electrolysis_on"] > 0.5, 0.0, v["waste_heat_available_mw"]))
    add("thermal_storage_not_charging_and_discharging",
        np.minimum(v["thermal_storage_charge_mw"], v["thermal_storage_discharge_mw"]))
    prev = _previous(ds, "thermal_storage_mwh", "thermal_storage_mwh",
                     np.zeros(v["heat_demand_mw"].shape[1]), "heat_start_state")
    if prev is not None:
        add("thermal_storage_dynamics", np.abs(
            prev - v["thermal_storage_loss_mw"] + v["thermal_storage_charge_mw"]
            - v["thermal_storage_discharge_mw"] - v["thermal_storage_mwh"]))


def assert_invariants(
    ds: xr.Dataset, cap: np.ndarray, par: np.ndarray, tol: float = 1e-9,
    skip: Mapping[str, str] | None = None,
) -> None:
    """Raise ``AssertionError`` naming every invariant violated by more than ``tol``.

    ``skip`` maps invariant names to the reason they do not apply.
    """
    bad = {
        k: x for k, x in invariant_violations(ds, cap, par).items()
        if x > tol and k not in (skip or {})
    }
    if bad:
        raise AssertionError(f"invariants violated (tolerance {tol}): {bad}")
