"""Run the heat rules of one site over a year, after the electricity and hydrogen rules.

The bridge until the heat step runs inside the main hour loop: the
electrolyser's hourly power, the site's remaining surplus and its import room
come from a results dataset of the dispatch (``simulate`` / ``dispatch.nc``),
and :func:`run_heat` runs :func:`nzv_energy.kernels.heat.heat_year` over them.
The electric side is not re-balanced here: the power the heat sources take
from the surplus would otherwise have been exported or curtailed, and imports
for heat come on top of the dispatch's imports, within the connection.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import xarray as xr

from nzv_energy.errors import InputDataError
from nzv_energy.kernels import heat as hk

FloatArray = npt.NDArray[np.float64]

#: Output rows of the heat kernel -> (variable name, unit, meaning).
HEAT_VARIABLES: dict[int, tuple[str, str, str]] = {
    hk.HO_HEAT_DEMAND_MW: ("heat_demand_mw", "MW_th", "district heat demand"),
    hk.HO_WASTE_HEAT_AVAILABLE_MW: (
        "waste_heat_available_mw",
        "MW_th",
        "recoverable electrolyser waste heat",
    ),
    hk.HO_HEAT_FROM_WASTE_HEAT_MW: (
        "heat_from_waste_heat_mw",
        "MW_th",
        "heat from electrolyser waste heat (direct or boosted)",
    ),
    hk.HO_HEAT_PUMP_MW: ("heat_pump_heat_mw", "MW_th", "large heat pump heat output"),
    hk.HO_ELECTRIC_BOILER_MW: ("electric_boiler_heat_mw", "MW_th", "electric boiler heat output"),
    hk.HO_CHP_HEAT_MW: ("chp_heat_mw", "MW_th", "CHP heat output"),
    hk.HO_CHP_ELECTRIC_MW: ("chp_electric_mw", "MW", "CHP electric output"),
    hk.HO_CHP_FUEL_MW: ("chp_fuel_mw", "MW_th", "CHP fuel use (LHV)"),
    hk.HO_GAS_BOILER_MW: ("gas_boiler_heat_mw", "MW_th", "peak gas boiler heat output"),
    hk.HO_GAS_BOILER_FUEL_MW: ("gas_boiler_fuel_mw", "MW_th", "peak gas boiler gas use (LHV)"),
    hk.HO_STORAGE_CHARGE_MW: ("thermal_storage_charge_mw", "MW_th", "heat into the store"),
    hk.HO_STORAGE_DISCHARGE_MW: ("thermal_storage_discharge_mw", "MW_th", "heat out of the store"),
    hk.HO_STORAGE_LOSS_MW: ("thermal_storage_loss_mw", "MW_th", "standing loss of the store"),
    hk.HO_STORAGE_MWH: ("thermal_storage_mwh", "MWh_th", "store level, end of hour"),
    hk.HO_UNSERVED_HEAT_MW: ("unserved_heat_mw", "MW_th", "heat demand not served"),
    hk.HO_HEAT_DUMPED_MW: (
        "heat_dumped_mw",
        "MW_th",
        "CHP by-product heat neither used nor stored",
    ),
    hk.HO_ELECTRICITY_FROM_SURPLUS_MW: (
        "heat_electricity_from_surplus_mw",
        "MW",
        "power for heat from the site's surplus",
    ),
    hk.HO_ELECTRICITY_IMPORT_MW: ("heat_electricity_import_mw", "MW", "power for heat bought"),
    hk.HO_BOOSTER_ELECTRICITY_MW: ("booster_electricity_mw", "MW", "booster heat pump power"),
    hk.HO_HEAT_PUMP_ELECTRICITY_MW: ("heat_pump_electricity_mw", "MW", "large heat pump power"),
    hk.HO_ELECTRIC_BOILER_ELECTRICITY_MW: (
        "electric_boiler_electricity_mw",
        "MW",
        "electric boiler power",
    ),
    hk.HO_WASTE_HEAT_SOURCE_USED_MW: (
        "waste_heat_source_used_mw",
        "MW_th",
        "electrolyser heat taken (recovery and heat pump)",
    ),
}


def _check(name: str, values: FloatArray, n: int, *, lower: float = 0.0) -> FloatArray:
    arr = np.ascontiguousarray(values, dtype=np.float64)
    if arr.shape != (n,):
        raise InputDataError(None, name, f"shape {arr.shape}", f"one value per hour ({n},)")
    bad = np.isnan(arr) | (arr < lower)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputDataError(None, f"{name} at hour {i}", float(arr[i]), f"a number >= {lower}")
    return arr


def run_heat(
    demand_mw: FloatArray,
    electrolysis_mw: FloatArray,
    surplus_mw: FloatArray,
    import_ok: FloatArray,
    import_room_mw: FloatArray,
    price: FloatArray,
    cop_heat_pump: FloatArray,
    cop_waste_heat: FloatArray,
    cap: FloatArray,
    par: FloatArray,
    *,
    initial_level_mwh: float = 0.0,
    chp_fuel_limit_mw: FloatArray | None = None,
    chp_power_outlet_mw: FloatArray | None = None,
    cyclic: bool = True,
) -> tuple[FloatArray, float]:
    """Check the hourly arrays and run the heat rules over them.

    Parameters
    ----------
    demand_mw, electrolysis_mw, surplus_mw, import_room_mw
        Hourly MW (>= 0): heat demand, electrolyser input while running, electric
        surplus left, grid connection left for imports.
    import_ok
        1 where grid power may be bought for heat, else 0.
    price
        Day-ahead price, EUR/MWh (any finite value).
    cop_heat_pump, cop_waste_heat
        Hourly COPs (>= 1; waste heat > 1).
    cap, par
        Vectors ``HC_*`` and ``HP_*`` (:mod:`nzv_energy.heat.inputs`).
    initial_level_mwh
        Store level at the start, MWh_th (within the capacity).
    chp_fuel_limit_mw, chp_power_outlet_mw
        Hourly CHP fuel limit and electric outlet; default unlimited.
    cyclic
        Run the hours twice, the second pass from the first's end level, and
        return the second (as the dispatch does with ``operation.cyclic``).

    Returns
    -------
    tuple
        ``out`` ``(N_HEAT_OUT, n_h)`` and the store level after the last hour.
    """
    n = len(np.asarray(demand_mw))
    demand = _check("heat_demand_mw", demand_mw, n)
    ely = _check("electrolysis_mw", electrolysis_mw, n)
    surplus = _check("surplus_mw", surplus_mw, n)
    room = _check("import_room_mw", import_room_mw, n)
    ok = _check("import_ok", import_ok, n)
    prices = np.ascontiguousarray(price, dtype=np.float64)
    if prices.shape != (n,) or not np.all(np.isfinite(prices)):
        raise InputDataError(None, "price", f"shape {prices.shape}", f"{n} finite prices")
    cop_hp = _check("cop_heat_pump", cop_heat_pump, n, lower=1.0)
    cop_w = _check("cop_waste_heat", cop_waste_heat, n, lower=1.0)
    if np.any(cop_w <= 1.0):
        raise InputDataError(None, "cop_waste_heat", float(cop_w.min()), "a COP above 1")
    fuel = (
        np.full(n, np.inf)
        if chp_fuel_limit_mw is None
        else _check("chp_fuel_limit_mw", chp_fuel_limit_mw, n)
    )
    outlet = (
        np.full(n, np.inf)
        if chp_power_outlet_mw is None
        else _check("chp_power_outlet_mw", chp_power_outlet_mw, n)
    )
    cap = np.ascontiguousarray(cap, dtype=np.float64)
    par = np.ascontiguousarray(par, dtype=np.float64)
    if cap.shape != (hk.N_HEAT_CAP,) or np.any(~np.isfinite(cap)) or np.any(cap < 0.0):
        raise InputDataError(None, "heat capacities", cap.tolist(), f"{hk.N_HEAT_CAP} numbers >= 0")
    if par.shape != (hk.N_HEAT_PAR,) or np.any(np.isnan(par)):
        raise InputDataError(None, "heat parameters", par.tolist(), f"{hk.N_HEAT_PAR} numbers")
    if not 0.0 <= initial_level_mwh <= cap[hk.HC_STORAGE_MWH]:
        raise InputDataError(
            None,
            "initial_level_mwh",
            initial_level_mwh,
            f"a level between 0 and the store's {cap[hk.HC_STORAGE_MWH]} MWh",
        )
    out = np.zeros((hk.N_HEAT_OUT, n))
    # a cyclic year runs twice, the second pass from the first one's end level
    level = float(initial_level_mwh)
    for _ in range(2 if cyclic else 1):
        level = hk.heat_year(
            demand, ely, surplus, ok, room, prices, cop_hp, cop_w, fuel, outlet, level, cap,
            par, out,
        )
    return out, float(level)


def heat_from_dispatch(
    ds: xr.Dataset,
    site: str,
    demand_mw: FloatArray,
    cop_heat_pump: FloatArray,
    cop_waste_heat: FloatArray,
    cap: FloatArray,
    par: FloatArray,
    *,
    grid_connection_mw: float,
    import_allowed: bool,
    initial_level_mwh: float = 0.0,
    cyclic: bool = True,
) -> xr.Dataset:
    """Run the heat rules of ``site`` on a dispatch results dataset (one weather year).

    The electrolyser's power while running is ``electrolysis_input_mw -
    electrolysis_standby_mw`` (standby makes no heat); the surplus is
    ``grid_export_mw + curtailment_mw``; the import room is the connection
    less the dispatch's imports (an exporting site imports only after its
    surplus is used, then the connection is free); the CHP may deliver the
    site's imports plus the connection not used for export.

    Returns
    -------
    xarray.Dataset
        The heat variables of :data:`HEAT_VARIABLES` over ``time`` with units
        in attrs; dataset attrs record the site, the end level and the rules.
    """
    one = ds.sel(site=site)
    n = one.sizes["time"]
    ely = (one["electrolysis_input_mw"] - one["electrolysis_standby_mw"]).to_numpy()
    ely = np.where(one["electrolysis_on"].to_numpy() > 0.5, np.maximum(ely, 0.0), 0.0)
    surplus = (one["grid_export_mw"] + one["curtailment_mw"]).to_numpy()
    imports = one["grid_import_mw"].to_numpy()
    room = np.maximum(grid_connection_mw - imports, 0.0)
    outlet = imports + np.maximum(grid_connection_mw - one["grid_export_mw"].to_numpy(), 0.0)
    ok = np.full(n, 1.0 if import_allowed else 0.0)
    out, level = run_heat(
        demand_mw,
        ely,
        surplus,
        ok,
        room,
        ds["price_eur_per_mwh"].to_numpy(),
        cop_heat_pump,
        cop_waste_heat,
        cap,
        par,
        initial_level_mwh=initial_level_mwh,
        chp_power_outlet_mw=outlet,
        cyclic=cyclic,
    )
    data = {
        name: xr.Variable(("time",), out[row], {"units": unit, "long_name": meaning})
        for row, (name, unit, meaning) in HEAT_VARIABLES.items()
    }
    result = xr.Dataset(data, coords={"time": ds["time"].to_numpy()})
    result.attrs.update(
        {"site": site, "thermal_storage_end_mwh": level, "rules": "docs/district_heat.md"}
    )
    return result
