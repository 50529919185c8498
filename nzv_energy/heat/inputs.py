"""Hourly heat inputs of a site for the weather years, and the heat kernel's vectors.

For one plant site (:class:`~nzv_energy.heat.assets.SiteHeat`) and the
weather years of a scenario:

* hourly heat demand, MW_th: the demand model of :mod:`nzv_energy.heat.demand`
  for each network the site supplies, summed;
* hourly COP of the large heat pump (air source: from the air temperature;
  electrolyser-heat source: constant) and of a heat pump lifting electrolyser
  waste heat (:mod:`nzv_energy.heat.cop`);
* the capacity and parameter vectors of :mod:`nzv_energy.kernels.heat`.

Temperature
-----------
Only the DWD test reference year 2010, region 4 (Potsdam, a typical year of
1988-2007) is shipped; no hourly temperatures of the weather years 2017-2020
are. The TRY is therefore laid on every weather year (its hour ``h`` of the
year on hour ``h`` of the weather year; in a leap year 29 February repeats the
TRY's 28 February), and the outputs say so in their ``attrs``
(``temperature_source``). A CSV of hourly temperature may replace it
(:func:`read_temperature_csv`; format in ``docs/district_heat.md``): columns
``timestamp`` (UTC, hour-beginning, ISO 8601) and ``temperature_c`` (°C),
whole calendar years covering the weather years.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from nzv_energy.errors import InputDataError, ScenarioError
from nzv_energy.heat.assets import SiteHeat
from nzv_energy.heat.cop import heat_pump_cop
from nzv_energy.heat.costs import COST_TABLE, heat_cost_values
from nzv_energy.heat.demand import HeatDemandModel, heat_demand_mw
from nzv_energy.heat.networks import INPUTS_DIR, read_networks
from nzv_energy.kernels import heat as hk
from nzv_energy.scenario import CapacityRange

TRY_FILE = INPUTS_DIR / "TRY2010_04_Jahr.dat"
"""The shipped DWD test reference year."""

TRY_SOURCE = "dwd_try2010"
"""Name of the built-in temperature source."""

TRY_NOTE = (
    "DWD test reference year 2010, region 4 (Potsdam; typical year 1988-2007) laid on every "
    "weather year (29 Feb repeats 28 Feb); not the weather year's own temperatures"
)
"""What the ``temperature_source`` attribute says for the built-in source."""

TEMPERATURE_COLUMNS = ("timestamp", "temperature_c")
"""Columns of a temperature CSV."""

FloatArray = npt.NDArray[np.float64]


def try_temperature_for_years(years: tuple[int, ...], path: Path = TRY_FILE) -> pd.Series:
    """Return the TRY air temperature laid on each of ``years`` (hourly, UTC), °C.

    Parameters
    ----------
    years
        Calendar years, in the order wanted.
    path
        The DWD TRY file.

    Returns
    -------
    pandas.Series
        ``temperature_c`` on whole calendar years; ``attrs["temperature_source"]``
        names the TRY and that it stands in for the weather years.
    """
    from nzv_energy.weather_try import read_try

    base = read_try(path)["temp_air_degc"].to_numpy(dtype=np.float64)
    parts = []
    for year in years:
        index = pd.date_range(f"{year}-01-01", f"{year + 1}-01-01", freq="h", inclusive="left")
        if len(index) == 8784:  # leap year: 29 Feb repeats 28 Feb (hours 1392..1415 of 2010)
            values = np.concatenate([base[: 59 * 24], base[58 * 24 : 59 * 24], base[59 * 24 :]])
        else:
            values = base
        parts.append(pd.Series(values, index=index))
    series = pd.concat(parts)
    series.name = "temperature_c"
    series.index.name = "time"
    series.attrs.update({"units": "degC", "temperature_source": TRY_NOTE})
    return series


def read_temperature_csv(path: Path, years: tuple[int, ...]) -> pd.Series:
    """Read an hourly temperature CSV and return the hours of ``years``, °C.

    Parameters
    ----------
    path
        CSV with the columns ``timestamp`` (UTC hour-beginning, e.g.
        ``2019-01-01 00:00`` or with ``+00:00``) and ``temperature_c``.
    years
        Weather years that must be covered completely.

    Returns
    -------
    pandas.Series
        ``temperature_c`` on whole calendar years ``years`` (tz-naive UTC);
        ``attrs["temperature_source"]`` names the file.

    Raises
    ------
    InputDataError
        Missing file or column, unreadable timestamp, duplicate or missing
        hours of a year, values not finite or outside -60..60 °C.
    """
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype={"timestamp": str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputDataError(path, "file", str(path), f"a readable CSV file ({exc})") from None
    missing = [c for c in TEMPERATURE_COLUMNS if c not in frame.columns]
    if missing:
        raise InputDataError(
            path,
            "header",
            ",".join(map(str, frame.columns)),
            f"the columns {', '.join(TEMPERATURE_COLUMNS)}",
        )
    try:
        stamps = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601")
    except (ValueError, TypeError):
        bad = frame["timestamp"].iloc[0]
        raise InputDataError(path, "timestamp", bad, "ISO 8601 UTC timestamps") from None
    values = pd.to_numeric(frame["temperature_c"], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | (values < -60.0) | (values > 60.0)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputDataError(
            path,
            f"temperature_c at line {i + 2}",
            frame["temperature_c"].iloc[i],
            "a temperature between -60 and 60 °C",
        )
    series = pd.Series(values, index=pd.DatetimeIndex(stamps).tz_localize(None))
    if series.index.has_duplicates:
        dup = series.index[series.index.duplicated()][0]
        raise InputDataError(path, "timestamp", str(dup), "each hour once")
    parts = []
    for year in years:
        index = pd.date_range(f"{year}-01-01", f"{year + 1}-01-01", freq="h", inclusive="left")
        missing_hours = index.difference(series.index)
        if len(missing_hours):
            raise InputDataError(
                path,
                f"timestamp of {year}",
                f"{len(missing_hours)} hours missing, first {missing_hours[0]}",
                "every hour of each weather year",
            )
        parts.append(series.loc[index])
    out = pd.concat(parts)
    out.name = "temperature_c"
    out.index.name = "time"
    out.attrs.update({"units": "degC", "temperature_source": f"CSV {path.name}"})
    return out


def temperature_for_years(years: tuple[int, ...], source: str | Path = TRY_SOURCE) -> pd.Series:
    """Hourly air temperature of the weather years: the TRY (``dwd_try2010``) or a CSV path."""
    if str(source) == TRY_SOURCE:
        return try_temperature_for_years(years)
    return read_temperature_csv(Path(source), years)


@dataclass(frozen=True)
class SiteHeatInputs:
    """Hourly heat inputs of one site (arrays over the hours of all weather years)."""

    time: pd.DatetimeIndex
    demand_mw: FloatArray
    cop_heat_pump: FloatArray
    cop_waste_heat: FloatArray
    attrs: dict[str, object] = field(default_factory=dict)


def _temperatures(block: SiteHeat) -> tuple[float, float]:
    table = read_networks()
    rows = table.loc[list(block.networks)]
    hottest = rows["supply_temperature_c"].idxmax()
    supply = block.supply_temperature_c
    ret = block.return_temperature_c
    supply = float(rows.loc[hottest, "supply_temperature_c"]) if supply is None else supply
    ret = float(rows.loc[hottest, "return_temperature_c"]) if ret is None else ret
    if ret >= supply:
        raise ScenarioError(
            None,
            "heat.return_temperature_c",
            ret,
            f"a return temperature below the supply ({supply} °C)",
        )
    return supply, ret


def site_heat_inputs(
    block: SiteHeat,
    years: tuple[int, ...],
    temperature_source: str | Path = TRY_SOURCE,
    demand_model: HeatDemandModel | None = None,
) -> SiteHeatInputs:
    """Return the hourly heat demand and COPs of a site for ``years``.

    Parameters
    ----------
    block
        The site's heat configuration.
    years
        Weather years.
    temperature_source
        ``dwd_try2010`` (the TRY on every year) or a temperature CSV path.
    demand_model
        Threshold, base share and method of the demand model (default: the
        defaults of :class:`~nzv_energy.heat.demand.HeatDemandModel`).

    Returns
    -------
    SiteHeatInputs
        Demand (MW_th, each year sums to the networks' annual heat), the large
        heat pump's COP (air: hourly, Lorenz sink; electrolyser heat: constant,
        supply-temperature sink) and the waste-heat COP; ``attrs`` record the
        temperature source, the networks and the temperatures used.
    """
    temperature = temperature_for_years(years, temperature_source)
    table = read_networks()
    demand = np.zeros(len(temperature))
    annual = {}
    for name in block.networks:
        q = block.annual_demand_mwh.get(name, float(table.loc[name, "annual_heat_mwh"]))
        annual[name] = q
        demand += heat_demand_mw(temperature, q, demand_model).to_numpy()
    supply, ret = _temperatures(block)
    source_c = (
        block.waste_heat_recovery.source_temperature_c
        if block.waste_heat_recovery is not None
        else 60.0
    )
    fraction = block.heat_pump.carnot_fraction if block.heat_pump is not None else 0.5
    waste_cop = heat_pump_cop(np.full(len(temperature), source_c), supply, None, fraction)
    if block.heat_pump is not None and block.heat_pump.source == "electrolyser_heat":
        hp_cop = waste_cop.copy()
    else:
        hp_cop = heat_pump_cop(temperature.to_numpy(), supply, ret, fraction)
    if np.any(hp_cop < 1.0) or np.any(waste_cop <= 1.0):
        raise ScenarioError(
            None, "heat.heat_pump.carnot_fraction", fraction, "a quality grade giving COPs above 1"
        )
    attrs: dict[str, object] = {
        "temperature_source": temperature.attrs["temperature_source"],
        "networks": ",".join(block.networks),
        "annual_heat_mwh": ",".join(f"{n}={q:g}" for n, q in annual.items()),
        "supply_temperature_c": supply,
        "return_temperature_c": ret,
        "waste_heat_temperature_c": source_c,
    }
    return SiteHeatInputs(
        time=pd.DatetimeIndex(temperature.index),
        demand_mw=demand,
        cop_heat_pump=np.asarray(hp_cop, dtype=np.float64),
        cop_waste_heat=np.asarray(waste_cop, dtype=np.float64),
        attrs=attrs,
    )


def _fixed(value: object, field_path: str) -> float:
    if isinstance(value, CapacityRange):
        raise ScenarioError(
            None,
            field_path,
            {"min": value.min, "max": value.max},
            "a fixed number for the rules (size the range with the optimiser first)",
        )
    return float(value)  # type: ignore[arg-type]


def heat_capacity_vector(
    block: SiteHeat, cost_year: int = 2030, path: Path = COST_TABLE
) -> FloatArray:
    """Return the capacities ``HC_*`` of :mod:`nzv_energy.kernels.heat` (fixed values only).

    Raises
    ------
    ScenarioError
        A capacity is a ``{min, max}`` range.
    """
    cap = np.zeros(hk.N_HEAT_CAP)
    if block.heat_pump is not None:
        cap[hk.HC_HEAT_PUMP_MW_TH] = _fixed(block.heat_pump.heat_mw_th, "heat.heat_pump.heat_mw_th")
    if (
        block.waste_heat_recovery is not None
        and block.waste_heat_recovery.mode == "booster_heat_pump"
    ):
        cap[hk.HC_BOOSTER_HEAT_PUMP_MW_TH] = _fixed(
            block.waste_heat_recovery.booster_heat_pump_mw_th,
            "heat.waste_heat_recovery.booster_heat_pump_mw_th",
        )
    if block.electric_boiler is not None:
        cap[hk.HC_ELECTRIC_BOILER_MW_TH] = _fixed(
            block.electric_boiler.heat_mw_th, "heat.electric_boiler.heat_mw_th"
        )
    if block.chp is not None:
        cap[hk.HC_CHP_MW_EL] = _fixed(block.chp.electric_mw, "heat.chp.electric_mw")
    if block.peak_gas_boiler is not None:
        cap[hk.HC_GAS_BOILER_MW_TH] = _fixed(
            block.peak_gas_boiler.heat_mw_th, "heat.peak_gas_boiler.heat_mw_th"
        )
    if block.thermal_storage is not None:
        store = block.thermal_storage
        energy = _fixed(store.energy_mwh, "heat.thermal_storage.energy_mwh")
        cap[hk.HC_STORAGE_MWH] = energy
        if store.power_mw is None:
            row = "thermal_storage" if store.kind == "tank" else "thermal_storage_pit"
            ratio = heat_cost_values(cost_year, path)[row]["energy_to_power_h"]
            cap[hk.HC_STORAGE_MW] = energy / ratio
        else:
            cap[hk.HC_STORAGE_MW] = _fixed(store.power_mw, "heat.thermal_storage.power_mw")
    return cap


def heat_parameter_vector(
    block: SiteHeat,
    cost_year: int = 2030,
    *,
    gas_price_eur_per_mwh: float,
    co2_price_eur_per_t: float,
    natural_gas_co2_t_per_mwh: float,
    hydrogen_value_eur_per_mwh: float = 0.0,
    path: Path = COST_TABLE,
) -> FloatArray:
    """Return the rule parameters ``HP_*`` of :mod:`nzv_energy.kernels.heat`.

    Efficiencies left out of ``block`` come from the cost table of ``cost_year``.
    Derived entries: the CHP's marginal cost per MWh_el (natural gas:
    ``(gas + co2 x intensity) / efficiency + VOM``; hydrogen:
    ``hydrogen_value / efficiency + VOM``, infinite when no value is set, so a
    power-led hydrogen CHP never runs for power alone) and the most a MWh_th of
    grid-powered heat may cost (the peak gas boiler's marginal heat cost
    ``(gas + co2 x intensity) / efficiency + VOM``; 0 without a peak boiler,
    so grid power for heat is bought only at prices at or below 0).
    """
    costs = heat_cost_values(cost_year, path)
    par = np.zeros(hk.N_HEAT_PAR)
    gas_cost = gas_price_eur_per_mwh + co2_price_eur_per_t * natural_gas_co2_t_per_mwh
    recovery = block.waste_heat_recovery
    if recovery is not None:
        share = recovery.recoverable_share
        par[hk.HP_RECOVERY_SHARE] = (
            costs["electrolysis_heat_recovery"]["recoverable_share"] if share is None else share
        )
        par[hk.HP_RECOVERY_BOOSTER] = 1.0 if recovery.mode == "booster_heat_pump" else 0.0
    if block.heat_pump is not None and block.heat_pump.source == "electrolyser_heat":
        par[hk.HP_HEAT_PUMP_SOURCE_ELECTROLYSER] = 1.0
    eb = block.electric_boiler
    eb_eff = costs["electric_boiler"]["efficiency"]
    par[hk.HP_ELECTRIC_BOILER_EFFICIENCY] = (
        eb_eff if eb is None or eb.efficiency is None else eb.efficiency
    )
    gb = block.peak_gas_boiler
    gb_row = costs["gas_boiler"]
    gb_eff = gb_row["efficiency"] if gb is None or gb.efficiency is None else gb.efficiency
    par[hk.HP_GAS_BOILER_EFFICIENCY] = gb_eff
    chp = block.chp
    if chp is not None:
        row = costs["gas_chp" if chp.technology == "gas_turbine" else "hydrogen_chp"]
        eta = (
            row["electric_efficiency"]
            if chp.electric_efficiency is None
            else chp.electric_efficiency
        )
        par[hk.HP_CHP_ELECTRIC_EFFICIENCY] = eta
        par[hk.HP_CHP_C_B] = row["c_b"] if chp.c_b is None else chp.c_b
        par[hk.HP_CHP_C_V] = row.get("c_v", 0.0) if chp.c_v is None else chp.c_v
        par[hk.HP_CHP_BACK_PRESSURE] = 1.0 if chp.behaviour == "back_pressure" else 0.0
        par[hk.HP_CHP_POWER_LED] = 1.0 if chp.operation == "power_led" else 0.0
        vom = row.get("vom_eur_per_mwh_el", 0.0)
        if chp.fuel == "natural_gas":
            par[hk.HP_CHP_MARGINAL_COST_EUR_PER_MWH_EL] = gas_cost / eta + vom
        elif hydrogen_value_eur_per_mwh > 0.0:
            par[hk.HP_CHP_MARGINAL_COST_EUR_PER_MWH_EL] = hydrogen_value_eur_per_mwh / eta + vom
        else:
            par[hk.HP_CHP_MARGINAL_COST_EUR_PER_MWH_EL] = np.inf
    else:
        par[hk.HP_CHP_C_B] = 1.0
    store = block.thermal_storage
    if store is not None:
        row = costs["thermal_storage" if store.kind == "tank" else "thermal_storage_pit"]
        loss = store.standing_loss_fraction_per_hour
        par[hk.HP_STORAGE_LOSS_FRACTION_PER_HOUR] = (
            row["standing_loss_fraction_per_hour"] if loss is None else loss
        )
    if gb is not None:
        par[hk.HP_ELECTRIC_HEAT_MAX_COST_EUR_PER_MWH_TH] = (
            gas_cost / gb_eff + gb_row["vom_eur_per_mwh_th"]
        )
    return par
