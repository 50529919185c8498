"""One scheduling window of the virtual power plant as a Pyomo model.

The model is built once per window length with every time-varying input as a
mutable ``Param`` (prices, capacity factors, hydrogen demand, import limits,
initial states, storage values), so a persistent solver can re-solve the next
window after :func:`set_window` without rebuilding.

Per site ``s`` and hour ``t`` (MW, one-hour steps, so MW = MWh per hour)::

    wind + pv - curtailment + battery_discharge + grid_import + gas_backup
        = electrolysis_input + battery_charge + grid_export + local_demand - unserved

    hydrogen_output + h2_storage_discharge
        = pipeline_flow + h2_storage_charge + gas_backup_hydrogen_fuel

    sum_s pipeline_flow + unserved_hydrogen = hydrogen_demand

``unserved`` is electricity of the site's own loads (standby first, then local
demand) that cannot be bought or made, priced at the value of lost load.

Electrolyser (binary ``on``):
``max(min_load, standby) * P * on <= p_stack <= P * on``;
``electrolysis_input = p_stack + standby * P * (1 - on)``; hydrogen output is
the straight line through the rated point and the part-load point,
``h = f * (a * p_stack + b * P * on)`` with ``f`` the stack degradation factor;
``start >= on[t] - on[t-1]`` priced at the start cost.  Gas backup (binary
``on``): ``min_load * P * on <= p <= P * on``, start cost likewise.  Battery:
``soc[t] = soc[t-1] + eta_c * charge - discharge / eta_d`` and
``charge + discharge <= P``.  Grid: ``import + export <= connection``; imports
beyond the site's own standby and local load up to ``import_limit`` (the
operating policy); in hours closed by the import carbon threshold
(:attr:`WindowData.grid_open`) nothing at all, as in the rule-based dispatch.
In hours priced at or below 1 EUR/MWh a binary battery mode forbids charging and
discharging at once; elsewhere the losses make it unprofitable, except to dump
power a unit at minimum load cannot sell, which
:func:`forbid_simultaneous_battery_use` removes where a solution shows it.
Hydrogen storage is lossless.

The objective maximises the window's operating profit: export revenue minus
import cost, fuel, CO2, variable O&M (of the renewable generation used, gas
backup and electrolysis), battery wear (per MWh discharged) and start costs,
minus the penalty for
unserved hydrogen (or unserved hydrogen fixed to zero: a hard obligation),
plus the value of energy left in storage at the end of the window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pyomo.environ as pyo

from nzv_energy.economics import natural_gas_backup_cost
from nzv_energy.errors import ScenarioError
from nzv_energy.scenario import Scenario
from nzv_energy.system import SiteCapacities, fixed_capacities
from nzv_energy.vpp import heat as vh
from nzv_energy.vpp.heat import HeatPortfolio
from nzv_energy.vpp.reserves import DOWNWARD, UNITS, UPWARD, ReserveSpec

#: Capacities below this are treated as absent (no variables are built), MW or MWh.
MIN_CAPACITY = 1e-9
#: Hours priced at or below this get a binary battery mode (no charging while
#: discharging); above it round-trip losses make doing both at once unprofitable, EUR/MWh.
BATTERY_MODE_PRICE_EUR_PER_MWH = 1.0
#: Solution values smaller than this in magnitude are reported as zero (solver round-off).
SNAP = 1e-9


@dataclass(frozen=True)
class Portfolio:
    """Fixed assets and operating constants of the virtual power plant.

    Per-site arrays have shape ``(n_sites,)`` in the order of :attr:`sites`.
    """

    sites: tuple[str, ...]
    wind_mw: np.ndarray
    pv_mw: np.ndarray
    battery_mw: np.ndarray
    battery_mwh: np.ndarray
    electrolysis_mw: np.ndarray
    gas_backup_mw: np.ndarray
    pipeline_mw: np.ndarray
    hydrogen_storage_mwh: np.ndarray
    grid_connection_mw: np.ndarray
    local_demand_mw: np.ndarray
    battery_charge_efficiency: float
    battery_discharge_efficiency: float
    battery_min_soc_fraction: float
    electrolysis_efficiency: float
    electrolysis_part_load_point_fraction: float
    electrolysis_part_load_efficiency: float
    electrolysis_min_load_fraction: float
    electrolysis_standby_fraction: float
    electrolysis_vom_eur_per_mwh_h2: float
    electrolysis_degradation_fraction_per_1000h: float
    electrolysis_stack_lifetime_hours: float
    electrolysis_start_cost_eur_per_mw: float
    gas_efficiency: float
    gas_min_load_fraction: float
    gas_start_cost_eur_per_mw: float
    gas_fuel: Literal["natural_gas", "hydrogen"]
    gas_price_eur_per_mwh: float
    co2_price_eur_per_t: float
    gas_co2_t_per_mwh: float
    gas_vom_eur_per_mwh: float
    wind_vom_eur_per_mwh: float
    pv_vom_eur_per_mwh: float
    unserved_hydrogen_penalty_eur_per_mwh: float | None
    unserved_electricity_penalty_eur_per_mwh: float = 10_000.0
    battery_cycle_cost_eur_per_mwh: float = 0.0
    heat: HeatPortfolio | None = None

    @property
    def n_sites(self) -> int:
        """Number of sites."""
        return len(self.sites)

    @property
    def hydrogen_line(self) -> tuple[float, float]:
        """``(a, b)`` of the output line ``h = a * p + b * P`` of a running stack.

        The straight line through the part-load point and the rated point
        (both as MWh_H2 per MWh_el at a fraction of rating).
        """
        eta_r = self.electrolysis_efficiency
        x_p = self.electrolysis_part_load_point_fraction
        if x_p >= 1.0 - 1e-9:
            return eta_r, 0.0
        a = (eta_r - self.electrolysis_part_load_efficiency * x_p) / (1.0 - x_p)
        return a, eta_r - a

    @property
    def gas_cost_eur_per_mwh_el(self) -> float:
        """Variable cost of one MWh of gas-backup electricity (fuel, CO2, O&M), EUR."""
        if self.gas_fuel == "hydrogen":
            return self.gas_vom_eur_per_mwh
        return natural_gas_backup_cost(
            self.gas_price_eur_per_mwh, self.co2_price_eur_per_t, self.gas_co2_t_per_mwh,
            self.gas_efficiency, self.gas_vom_eur_per_mwh,
        ).total_eur_per_mwh_el

    def site_sets(self) -> dict[str, list[int]]:
        """Indices of the sites that have each kind of asset."""
        idx = np.arange(self.n_sites)
        battery = self.battery_mwh > MIN_CAPACITY  # power may be zero: a static store
        electrolysis = self.electrolysis_mw > MIN_CAPACITY
        gas = self.gas_backup_mw > MIN_CAPACITY
        storage = self.hydrogen_storage_mwh > MIN_CAPACITY
        hydrogen = electrolysis | storage | (gas & (self.gas_fuel == "hydrogen"))
        if self.heat is not None:  # a CHP burning the site's hydrogen
            hydrogen = hydrogen | np.isin(idx, self.heat.hydrogen_chp_sites)
        return {
            "battery": idx[battery].tolist(),
            "electrolysis": idx[electrolysis].tolist(),
            "gas": idx[gas].tolist(),
            "h2_storage": idx[storage].tolist(),
            "hydrogen": idx[hydrogen].tolist(),
            "pipeline": idx[hydrogen & (self.pipeline_mw > MIN_CAPACITY)].tolist(),
        }

    @classmethod
    def from_capacities(
        cls, scenario: Scenario, capacities: dict[str, SiteCapacities]
    ) -> Portfolio:
        """Portfolio of ``capacities`` with the operating constants of ``scenario``."""
        tech = scenario.technology
        vpp = scenario.vpp

        def col(name: str) -> np.ndarray:
            return np.array([getattr(capacities[s], name) for s in scenario.site_names], float)

        out = cls(
            sites=scenario.site_names,
            wind_mw=col("wind_mw"),
            pv_mw=col("pv_mw"),
            battery_mw=col("battery_mw"),
            battery_mwh=col("battery_mwh"),
            electrolysis_mw=col("electrolysis_mw"),
            gas_backup_mw=col("gas_backup_mw"),
            pipeline_mw=col("pipeline_mw"),
            hydrogen_storage_mwh=col("hydrogen_storage_mwh"),
            grid_connection_mw=col("grid_connection_mw"),
            local_demand_mw=col("local_demand_mw"),
            battery_charge_efficiency=tech.battery.charge_efficiency,
            battery_discharge_efficiency=tech.battery.discharge_efficiency,
            battery_min_soc_fraction=tech.battery.min_soc_fraction,
            electrolysis_efficiency=tech.electrolysis.efficiency,
            electrolysis_part_load_point_fraction=tech.electrolysis.part_load_point_fraction,
            electrolysis_part_load_efficiency=tech.electrolysis.part_load_efficiency,
            electrolysis_min_load_fraction=tech.electrolysis.min_load_fraction,
            electrolysis_standby_fraction=tech.electrolysis.standby_fraction,
            electrolysis_vom_eur_per_mwh_h2=tech.electrolysis.vom_eur_per_mwh_h2,
            electrolysis_degradation_fraction_per_1000h=(
                tech.electrolysis.degradation_fraction_per_1000h
            ),
            electrolysis_stack_lifetime_hours=tech.electrolysis.stack_lifetime_hours,
            electrolysis_start_cost_eur_per_mw=vpp.electrolysis_start_cost_eur_per_mw,
            gas_efficiency=tech.gas_backup.efficiency,
            gas_min_load_fraction=vpp.gas_min_load_fraction,
            gas_start_cost_eur_per_mw=vpp.gas_start_cost_eur_per_mw,
            gas_fuel=scenario.operation.gas_backup_fuel,
            gas_price_eur_per_mwh=scenario.economics.gas_price_eur_per_mwh,
            co2_price_eur_per_t=scenario.economics.co2_price_eur_per_t,
            gas_co2_t_per_mwh=tech.gas_backup.natural_gas_co2_t_per_mwh,
            gas_vom_eur_per_mwh=tech.gas_backup.vom_eur_per_mwh,
            wind_vom_eur_per_mwh=tech.wind.vom_eur_per_mwh,
            pv_vom_eur_per_mwh=tech.pv.vom_eur_per_mwh,
            unserved_hydrogen_penalty_eur_per_mwh=vpp.unserved_hydrogen_penalty_eur_per_mwh,
            unserved_electricity_penalty_eur_per_mwh=(
                vpp.unserved_electricity_penalty_eur_per_mwh
            ),
            battery_cycle_cost_eur_per_mwh=vpp.battery_cycle_cost_eur_per_mwh,
            heat=HeatPortfolio.from_scenario(scenario),
        )
        out.check()
        return out

    @classmethod
    def from_scenario(cls, scenario: Scenario, file: str | None = None) -> Portfolio:
        """Portfolio of a fixed-capacity scenario (ranges are a :class:`ScenarioError`)."""
        return cls.from_capacities(scenario, fixed_capacities(scenario, file))

    def check(self) -> None:
        """Raise :class:`ScenarioError` when the constants cannot form a valid model."""
        a, b = self.hydrogen_line
        m = max(self.electrolysis_min_load_fraction, self.electrolysis_standby_fraction)
        if (self.electrolysis_mw > MIN_CAPACITY).any() and a * m + b < -1e-12:
            raise ScenarioError(
                None,
                "technology.electrolysis.min_load_fraction",
                m,
                f"at least {-b / a:.4f}: the part-load line through "
                f"({self.electrolysis_part_load_point_fraction}, "
                f"{self.electrolysis_part_load_efficiency}) and (1, "
                f"{self.electrolysis_efficiency}) gives no hydrogen below that load",
            )


@dataclass(frozen=True)
class WindowData:
    """Hourly inputs of one window, as the scheduler sees them (forecasts).

    Attributes
    ----------
    price_eur_per_mwh
        Day-ahead price, shape ``(n_hours,)``.
    wind_cf, pv_cf
        Capacity factors, shape ``(n_sites, n_hours)``.
    hydrogen_demand_mw
        Demand at the off-taker, MW_H2, shape ``(n_hours,)``.
    import_limit_mw
        Purchases allowed beyond each site's standby and local load, MW, shape
        ``(n_sites, n_hours)`` (the operating policy; capped by the connection).
    battery_value_eur_per_mwh, hydrogen_value_eur_per_mwh
        Value of one MWh left in battery / hydrogen storage at the window's end.
    reserve_price_eur_per_mw
        Capacity price of each reserve product and block of the window, EUR/MW per
        block, shape ``(n_products, n_blocks)`` (the window starts at a block start);
        None without reserves.
    grid_open
        False in hours no grid power may be bought at all, not even for the sites'
        own standby and local load (grid intensity above
        ``operation.import_carbon_threshold_g_per_kwh``), shape ``(n_hours,)``;
        None: every hour open.
    heat_demand_mw, cop_heat_pump, cop_waste_heat
        District heat demand (MW_th) and the COPs of the large heat pump and of a heat
        pump on electrolyser heat, shape ``(n_sites, n_hours)``; None without heat.
    heat_value_eur_per_mwh
        Value of one MWh_th left in each site's thermal store at the window's end,
        shape ``(n_sites,)``; None = zero.
    """

    price_eur_per_mwh: np.ndarray
    wind_cf: np.ndarray
    pv_cf: np.ndarray
    hydrogen_demand_mw: np.ndarray
    import_limit_mw: np.ndarray
    battery_value_eur_per_mwh: float = 0.0
    hydrogen_value_eur_per_mwh: float = 0.0
    reserve_price_eur_per_mw: np.ndarray | None = None
    grid_open: np.ndarray | None = None
    heat_demand_mw: np.ndarray | None = None
    cop_heat_pump: np.ndarray | None = None
    cop_waste_heat: np.ndarray | None = None
    heat_value_eur_per_mwh: np.ndarray | None = None

    @property
    def n_hours(self) -> int:
        """Window length, h."""
        return int(self.price_eur_per_mwh.shape[0])


@dataclass(frozen=True)
class SiteState:
    """State of every site at the start of a window (end of the previous hour).

    All arrays have shape ``(n_sites,)``; the thermal store levels (MWh_th) and CHP
    on/off states are None without heat.
    """

    battery_soc_mwh: np.ndarray
    hydrogen_storage_mwh: np.ndarray
    electrolysis_on: np.ndarray
    gas_on: np.ndarray
    stack_hours: np.ndarray
    thermal_storage_mwh: np.ndarray | None = None
    chp_on: np.ndarray | None = None

    @classmethod
    def initial(
        cls, portfolio: Portfolio, soc_fraction: float, storage_fraction: float
    ) -> SiteState:
        """Storage at the given fractions, every unit off, new stacks.

        Thermal stores start at their blocks' ``initial_fraction``.
        """
        n = portfolio.n_sites
        min_soc = portfolio.battery_min_soc_fraction * portfolio.battery_mwh
        heat = portfolio.heat
        return cls(
            battery_soc_mwh=np.maximum(soc_fraction * portfolio.battery_mwh, min_soc),
            hydrogen_storage_mwh=storage_fraction * portfolio.hydrogen_storage_mwh,
            electrolysis_on=np.zeros(n, bool),
            gas_on=np.zeros(n, bool),
            stack_hours=np.zeros(n),
            thermal_storage_mwh=(
                None if heat is None
                else heat.initial_storage_fraction * heat.cap[:, vh.hk.HC_STORAGE_MWH]
            ),
            chp_on=None if heat is None else np.zeros(n, bool),
        )


def degradation_factor(portfolio: Portfolio, stack_hours: np.ndarray) -> np.ndarray:
    """Efficiency factor of each stack after ``stack_hours`` of operation since replacement."""
    loss = portfolio.electrolysis_degradation_fraction_per_1000h * np.asarray(stack_hours) / 1000
    return np.clip(1.0 - loss, 0.0, 1.0)


def build_model(
    portfolio: Portfolio, n_hours: int, integer_hours: int | None = None,
    reserves: ReserveSpec | None = None,
) -> pyo.ConcreteModel:
    """Build the window model of ``n_hours`` with every input as a mutable parameter.

    Parameters
    ----------
    portfolio
        Assets and constants (fixed for the model's life).
    n_hours
        Window length.
    integer_hours
        On/off decisions are binary in the first ``integer_hours`` hours and
        relaxed to [0, 1] after them (the look-ahead of a rolling horizon, whose
        decisions are never committed); None = binary in every hour.
    reserves
        Reserve products offered beside energy (:func:`add_reserves`); None = energy only.

    Returns
    -------
    pyomo.environ.ConcreteModel
        The model; call :func:`set_window` before solving.
    """
    p = portfolio
    sets = p.site_sets()
    m = pyo.ConcreteModel(name=f"vpp_window_{n_hours}h")
    m.T = pyo.RangeSet(0, n_hours - 1)
    m.S = pyo.Set(initialize=range(p.n_sites), ordered=True)
    m.B = pyo.Set(initialize=sets["battery"], ordered=True)
    m.E = pyo.Set(initialize=sets["electrolysis"], ordered=True)
    m.G = pyo.Set(initialize=sets["gas"], ordered=True)
    m.HS = pyo.Set(initialize=sets["h2_storage"], ordered=True)
    m.H = pyo.Set(initialize=sets["hydrogen"], ordered=True)
    m.P = pyo.Set(initialize=sets["pipeline"], ordered=True)
    last = n_hours - 1

    # inputs (mutable)
    m.price = pyo.Param(m.T, mutable=True, initialize=0.0)
    m.demand = pyo.Param(m.T, mutable=True, initialize=0.0)
    m.wind_avail = pyo.Param(m.S, m.T, mutable=True, initialize=0.0)
    m.pv_avail = pyo.Param(m.S, m.T, mutable=True, initialize=0.0)
    m.import_limit = pyo.Param(m.S, m.T, mutable=True, initialize=0.0)
    m.soc0 = pyo.Param(m.B, mutable=True, initialize=0.0)
    m.level0 = pyo.Param(m.HS, mutable=True, initialize=0.0)
    m.on0 = pyo.Param(m.E, mutable=True, initialize=0.0)
    m.gas_on0 = pyo.Param(m.G, mutable=True, initialize=0.0)
    m.eff_factor = pyo.Param(m.E, mutable=True, initialize=1.0)
    m.battery_value = pyo.Param(mutable=True, initialize=0.0)
    m.hydrogen_value = pyo.Param(mutable=True, initialize=0.0)

    grid = p.grid_connection_mw
    m.grid_import = pyo.Var(m.S, m.T, bounds=lambda _m, s, _t: (0.0, grid[s]))
    m.grid_export = pyo.Var(m.S, m.T, bounds=lambda _m, s, _t: (0.0, grid[s]))
    m.curtail_wind = pyo.Var(m.S, m.T, within=pyo.NonNegativeReals)
    m.curtail_pv = pyo.Var(m.S, m.T, within=pyo.NonNegativeReals)

    bat_p, bat_e = p.battery_mw, p.battery_mwh
    m.charge = pyo.Var(m.B, m.T, bounds=lambda _m, s, _t: (0.0, bat_p[s]))
    m.discharge = pyo.Var(m.B, m.T, bounds=lambda _m, s, _t: (0.0, bat_p[s]))
    m.soc = pyo.Var(
        m.B, m.T, bounds=lambda _m, s, _t: (p.battery_min_soc_fraction * bat_e[s], bat_e[s])
    )

    el = p.electrolysis_mw
    n_int = n_hours if integer_hours is None else min(int(integer_hours), n_hours)

    def on_domain(_m: pyo.ConcreteModel, _s: int, t: int) -> pyo.Set:
        return pyo.Binary if t < n_int else pyo.UnitInterval

    m.el_on = pyo.Var(m.E, m.T, within=on_domain)
    m.el_start = pyo.Var(m.E, m.T, bounds=(0.0, 1.0))
    m.el_power = pyo.Var(m.E, m.T, bounds=lambda _m, s, _t: (0.0, el[s]))
    m.h2_out = pyo.Var(m.E, m.T, within=pyo.NonNegativeReals)

    gas = p.gas_backup_mw
    m.gas_on = pyo.Var(m.G, m.T, within=on_domain)
    m.gas_start = pyo.Var(m.G, m.T, bounds=(0.0, 1.0))
    m.gas_power = pyo.Var(m.G, m.T, bounds=lambda _m, s, _t: (0.0, gas[s]))
    heat = p.heat
    heat_profit = 0.0 if heat is None else vh.add_heat(m, heat, on_domain)

    h2cap = p.hydrogen_storage_mwh
    m.h2_charge = pyo.Var(m.HS, m.T, within=pyo.NonNegativeReals)
    m.h2_discharge = pyo.Var(m.HS, m.T, within=pyo.NonNegativeReals)
    m.h2_level = pyo.Var(m.HS, m.T, bounds=lambda _m, s, _t: (0.0, h2cap[s]))
    pipe = p.pipeline_mw
    m.pipeline = pyo.Var(m.P, m.T, bounds=lambda _m, s, _t: (0.0, pipe[s]))
    hard = p.unserved_hydrogen_penalty_eur_per_mwh is None
    m.unserved = pyo.Var(m.T, bounds=(0.0, 0.0 if hard else None))

    sb = p.electrolysis_standby_fraction
    m.unserved_el = pyo.Var(m.S, m.T, within=pyo.NonNegativeReals)

    def standby(s: int, t: int) -> pyo.Expression:
        return sb * el[s] * (1 - m.el_on[s, t]) if s in m.E else 0.0

    def el_input(s: int, t: int) -> pyo.Expression:
        return m.el_power[s, t] + standby(s, t) if s in m.E else 0.0

    def gas_fuel(s: int, t: int) -> pyo.Expression:
        return m.gas_power[s, t] / p.gas_efficiency

    # electricity
    def power_balance(_m: pyo.ConcreteModel, s: int, t: int) -> pyo.Expression:
        sources = (
            m.wind_avail[s, t] + m.pv_avail[s, t] - m.curtail_wind[s, t] - m.curtail_pv[s, t]
            + m.grid_import[s, t]
        )
        sinks = (
            el_input(s, t) + m.grid_export[s, t] + float(p.local_demand_mw[s])
            - m.unserved_el[s, t]
        )
        if s in m.B:
            sources += m.discharge[s, t]
            sinks += m.charge[s, t]
        if s in m.G:
            sources += m.gas_power[s, t]
        if heat is not None and s in m.HT:
            sources += vh.power_out(m, s, t)
            sinks += vh.power_in(m, heat, s, t)
        return sources == sinks

    m.power_balance = pyo.Constraint(m.S, m.T, rule=power_balance)
    m.curtail_wind_max = pyo.Constraint(
        m.S, m.T, rule=lambda _m, s, t: m.curtail_wind[s, t] <= m.wind_avail[s, t]
    )
    m.curtail_pv_max = pyo.Constraint(
        m.S, m.T, rule=lambda _m, s, t: m.curtail_pv[s, t] <= m.pv_avail[s, t]
    )
    m.connection = pyo.Constraint(
        m.S, m.T, rule=lambda _m, s, t: m.grid_import[s, t] + m.grid_export[s, t] <= grid[s]
    )

    def import_policy(_m: pyo.ConcreteModel, s: int, t: int) -> pyo.Expression:
        own = standby(s, t) + float(p.local_demand_mw[s])
        return m.grid_import[s, t] - own <= m.import_limit[s, t]

    m.import_policy = pyo.Constraint(m.S, m.T, rule=import_policy)
    m.unserved_el_max = pyo.Constraint(
        m.S,
        m.T,
        rule=lambda _m, s, t: m.unserved_el[s, t] <= standby(s, t) + float(p.local_demand_mw[s]),
    )

    # battery
    eta_c, eta_d = p.battery_charge_efficiency, p.battery_discharge_efficiency

    def soc_rule(_m: pyo.ConcreteModel, s: int, t: int) -> pyo.Expression:
        prev = m.soc0[s] if t == 0 else m.soc[s, t - 1]
        return m.soc[s, t] == prev + eta_c * m.charge[s, t] - m.discharge[s, t] / eta_d

    m.soc_balance = pyo.Constraint(m.B, m.T, rule=soc_rule)
    # charge <= P * mode, discharge <= P * (1 - mode): with mode in [0, 1] this is
    # charge + discharge <= P; set_window makes mode binary in hours priced at or below
    # BATTERY_MODE_PRICE_EUR_PER_MWH: burning energy in round-trip losses can pay (or cost
    # next to nothing) only there
    m.bat_mode = pyo.Var(m.B, m.T, bounds=(0.0, 1.0))
    m.charge_mode = pyo.Constraint(
        m.B, m.T, rule=lambda _m, s, t: m.charge[s, t] <= bat_p[s] * m.bat_mode[s, t]
    )
    m.discharge_mode = pyo.Constraint(
        m.B, m.T, rule=lambda _m, s, t: m.discharge[s, t] <= bat_p[s] * (1 - m.bat_mode[s, t])
    )

    # electrolysers
    a, b = p.hydrogen_line
    # a running stack draws at least its standby power (else "on at zero load" would
    # dodge the standby use)
    min_el = max(p.electrolysis_min_load_fraction, p.electrolysis_standby_fraction)
    m.el_max = pyo.Constraint(
        m.E, m.T, rule=lambda _m, s, t: m.el_power[s, t] <= el[s] * m.el_on[s, t]
    )
    m.el_min = pyo.Constraint(
        m.E, m.T, rule=lambda _m, s, t: m.el_power[s, t] >= min_el * el[s] * m.el_on[s, t]
    )
    m.el_output = pyo.Constraint(
        m.E,
        m.T,
        rule=lambda _m, s, t: m.h2_out[s, t]
        == m.eff_factor[s] * (a * m.el_power[s, t] + b * el[s] * m.el_on[s, t]),
    )

    def el_start(_m: pyo.ConcreteModel, s: int, t: int) -> pyo.Expression:
        prev = m.on0[s] if t == 0 else m.el_on[s, t - 1]
        return m.el_start[s, t] >= m.el_on[s, t] - prev

    m.el_start_def = pyo.Constraint(m.E, m.T, rule=el_start)

    # gas backup
    min_gas = p.gas_min_load_fraction
    m.gas_max = pyo.Constraint(
        m.G, m.T, rule=lambda _m, s, t: m.gas_power[s, t] <= gas[s] * m.gas_on[s, t]
    )
    m.gas_min = pyo.Constraint(
        m.G, m.T, rule=lambda _m, s, t: m.gas_power[s, t] >= min_gas * gas[s] * m.gas_on[s, t]
    )

    def gas_start(_m: pyo.ConcreteModel, s: int, t: int) -> pyo.Expression:
        prev = m.gas_on0[s] if t == 0 else m.gas_on[s, t - 1]
        return m.gas_start[s, t] >= m.gas_on[s, t] - prev

    m.gas_start_def = pyo.Constraint(m.G, m.T, rule=gas_start)

    # hydrogen
    burn_h2 = p.gas_fuel == "hydrogen"

    def h2_balance(_m: pyo.ConcreteModel, s: int, t: int) -> pyo.Expression:
        sources = m.h2_out[s, t] if s in m.E else 0.0
        sinks = m.pipeline[s, t] if s in m.P else 0.0
        if s in m.HS:
            sources = sources + m.h2_discharge[s, t]
            sinks = sinks + m.h2_charge[s, t]
        if burn_h2 and s in m.G:
            sinks = sinks + gas_fuel(s, t)
        if heat is not None and s in heat.hydrogen_chp_sites:
            sinks = sinks + vh.hydrogen_burnt(m, heat, s, t)
        return sources == sinks

    m.h2_balance = pyo.Constraint(m.H, m.T, rule=h2_balance)

    def level_rule(_m: pyo.ConcreteModel, s: int, t: int) -> pyo.Expression:
        prev = m.level0[s] if t == 0 else m.h2_level[s, t - 1]
        return m.h2_level[s, t] == prev + m.h2_charge[s, t] - m.h2_discharge[s, t]

    m.h2_level_balance = pyo.Constraint(m.HS, m.T, rule=level_rule)
    m.demand_balance = pyo.Constraint(
        m.T, rule=lambda _m, t: sum(m.pipeline[s, t] for s in m.P) + m.unserved[t] == m.demand[t]
    )

    # objective: operating profit of the window
    penalty = 0.0 if hard else float(p.unserved_hydrogen_penalty_eur_per_mwh or 0.0)
    gas_cost = p.gas_cost_eur_per_mwh_el
    el_vom = p.electrolysis_vom_eur_per_mwh_h2
    start_el = {s: p.electrolysis_start_cost_eur_per_mw * el[s] for s in m.E}
    start_gas = {s: p.gas_start_cost_eur_per_mw * gas[s] for s in m.G}
    profit = sum(
        m.price[t] * sum(m.grid_export[s, t] - m.grid_import[s, t] for s in m.S)
        - sum(
            p.wind_vom_eur_per_mwh * (m.wind_avail[s, t] - m.curtail_wind[s, t])
            + p.pv_vom_eur_per_mwh * (m.pv_avail[s, t] - m.curtail_pv[s, t])
            for s in m.S
        )
        - sum(el_vom * m.h2_out[s, t] + start_el[s] * m.el_start[s, t] for s in m.E)
        - sum(gas_cost * m.gas_power[s, t] + start_gas[s] * m.gas_start[s, t] for s in m.G)
        - penalty * m.unserved[t]
        - p.unserved_electricity_penalty_eur_per_mwh * sum(m.unserved_el[s, t] for s in m.S)
        - p.battery_cycle_cost_eur_per_mwh * sum(m.discharge[s, t] for s in m.B)
        for t in m.T
    )
    profit += m.battery_value * sum(m.soc[s, last] for s in m.B)
    profit += m.hydrogen_value * sum(m.h2_level[s, last] for s in m.HS)
    if heat is not None:
        profit += heat_profit
    m.reserve_spec = reserves
    if reserves is not None:
        profit += add_reserves(m, p, reserves)
    m.profit = pyo.Objective(expr=profit, sense=pyo.maximize)
    m.n_hours = n_hours
    m.integer_hours = n_int
    return m


def add_reserves(m: pyo.ConcreteModel, p: Portfolio, spec: ReserveSpec) -> pyo.Expression:
    """Reserve capacity variables and their headroom constraints; returns their revenue.

    ``reserve[u, s, k, b]`` is the capacity (MW) unit ``u`` at site ``s`` holds for
    product ``k`` in block ``b`` (hours ``b * block_hours`` onwards), the same in
    every hour of the block.  Per hour, with ``up`` the sum of the upward products
    (FCR, aFRR+) and ``dn`` the downward ones (FCR, aFRR-) of a unit:

    * battery: ``discharge - charge + up <= P`` and ``charge - discharge + dn <= P``;
      the energy above the minimum state of charge covers ``up`` for the delivery
      duration, ``sum_k d_k r_k / eta_d <= soc - soc_min``, the room below full
      covers ``dn``, ``eta_c sum_k d_k r_k <= E - soc``, both at the start and the
      end of every hour;
    * electrolyser (positive reserve = less load): ``p_stack - up >= min_load * P * on``
      and ``p_stack + dn <= P * on`` (none when off);
    * gas unit (only when online): ``p + up <= P * on`` and ``p - dn >= min_load * P * on``;
    * the grid connection carries the activation: net export ``+ up`` of the site's
      units ``<= connection`` and net import ``+ dn <= connection``.

    Energy dispatched and capacity held together never exceed a unit's rating in the
    same hour.  Activations are not modelled (the capacity is held, the energy the
    system operator calls is settled outside the schedule).
    """
    bh = spec.block_hours
    n = len(m.T)
    n_blocks = -(-n // bh)
    m.K = pyo.Set(initialize=list(spec.products), ordered=True)
    m.BLK = pyo.RangeSet(0, n_blocks - 1)
    m.reserve_price = pyo.Param(m.K, m.BLK, mutable=True, initialize=0.0)
    # a battery without power (a static store) cannot hold reserve
    members = {
        "battery": [s for s in m.B if p.battery_mw[s] > MIN_CAPACITY],
        "electrolysis": list(m.E),
        "gas_backup": list(m.G),
    }
    m.RU = pyo.Set(
        initialize=[(u, s) for u in UNITS for s in members[u]], dimen=2, ordered=True
    )
    m.reserve = pyo.Var(m.RU, m.K, m.BLK, within=pyo.NonNegativeReals)
    up_k = [k for k in spec.products if k in UPWARD]
    dn_k = [k for k in spec.products if k in DOWNWARD]

    def held(u: str, s: int, t: int, products: list[str]) -> pyo.Expression:
        return sum(m.reserve[u, s, k, t // bh] for k in products)

    def energy(u: str, s: int, t: int, products: list[str]) -> pyo.Expression:
        return sum(spec.duration_h(k) * m.reserve[u, s, k, t // bh] for k in products)

    bat = members["battery"]
    bat_p, bat_e = p.battery_mw, p.battery_mwh
    eta_c, eta_d = p.battery_charge_efficiency, p.battery_discharge_efficiency
    min_soc = p.battery_min_soc_fraction * bat_e
    m.reserve_bat_up = pyo.Constraint(
        bat, m.T, rule=lambda _m, s, t: m.discharge[s, t] - m.charge[s, t]
        + held("battery", s, t, up_k) <= bat_p[s],
    )
    m.reserve_bat_dn = pyo.Constraint(
        bat, m.T, rule=lambda _m, s, t: m.charge[s, t] - m.discharge[s, t]
        + held("battery", s, t, dn_k) <= bat_p[s],
    )

    def levels(s: int, t: int) -> tuple[pyo.Expression, pyo.Expression]:
        return (m.soc0[s] if t == 0 else m.soc[s, t - 1]), m.soc[s, t]

    m.reserve_bat_energy_up = pyo.Constraint(
        bat, m.T, [0, 1], rule=lambda _m, s, t, i: energy("battery", s, t, up_k) / eta_d
        <= levels(s, t)[i] - float(min_soc[s]),
    )
    m.reserve_bat_energy_dn = pyo.Constraint(
        bat, m.T, [0, 1], rule=lambda _m, s, t, i: eta_c * energy("battery", s, t, dn_k)
        <= float(bat_e[s]) - levels(s, t)[i],
    )
    el = p.electrolysis_mw
    min_el = max(p.electrolysis_min_load_fraction, p.electrolysis_standby_fraction)
    m.reserve_el_up = pyo.Constraint(
        members["electrolysis"], m.T, rule=lambda _m, s, t: m.el_power[s, t]
        - held("electrolysis", s, t, up_k) >= min_el * el[s] * m.el_on[s, t],
    )
    m.reserve_el_dn = pyo.Constraint(
        members["electrolysis"], m.T, rule=lambda _m, s, t: m.el_power[s, t]
        + held("electrolysis", s, t, dn_k) <= el[s] * m.el_on[s, t],
    )
    gas = p.gas_backup_mw
    m.reserve_gas_up = pyo.Constraint(
        members["gas_backup"], m.T, rule=lambda _m, s, t: m.gas_power[s, t]
        + held("gas_backup", s, t, up_k) <= gas[s] * m.gas_on[s, t],
    )
    m.reserve_gas_dn = pyo.Constraint(
        members["gas_backup"], m.T, rule=lambda _m, s, t: m.gas_power[s, t]
        - held("gas_backup", s, t, dn_k) >= p.gas_min_load_fraction * gas[s] * m.gas_on[s, t],
    )
    sites = sorted({s for _u, s in m.RU})
    grid = p.grid_connection_mw

    def site_held(s: int, t: int, products: list[str]) -> pyo.Expression:
        return sum(held(u, s, t, products) for u in UNITS if s in members[u])

    m.reserve_grid_up = pyo.Constraint(
        sites, m.T, rule=lambda _m, s, t: m.grid_export[s, t] - m.grid_import[s, t]
        + site_held(s, t, up_k) <= grid[s],
    )
    m.reserve_grid_dn = pyo.Constraint(
        sites, m.T, rule=lambda _m, s, t: m.grid_import[s, t] - m.grid_export[s, t]
        + site_held(s, t, dn_k) <= grid[s],
    )
    # a block cut by the window's end earns its share of the block's price
    weight = {b: min(bh, n - b * bh) / bh for b in m.BLK}
    return sum(
        m.reserve_price[k, b] * weight[b] * m.reserve[u, s, k, b]
        for (u, s) in m.RU for k in m.K for b in m.BLK
    )


def set_window(
    model: pyo.ConcreteModel, portfolio: Portfolio, data: WindowData, state: SiteState
) -> None:
    """Load one window's inputs and initial state into the model's parameters.

    Parameters
    ----------
    model
        A model from :func:`build_model` with the same portfolio and ``data.n_hours``.
    portfolio
        The model's portfolio.
    data
        Inputs of the window.
    state
        State at the start of the window.
    """
    n = data.n_hours
    if n != model.n_hours:
        raise ValueError(f"window of {n} h for a model of {model.n_hours} h")
    wind = portfolio.wind_mw[:, None] * data.wind_cf
    pv = portfolio.pv_mw[:, None] * data.pv_cf
    imp = np.minimum(data.import_limit_mw, portfolio.grid_connection_mw[:, None])
    grid = portfolio.grid_connection_mw
    if data.grid_open is not None and np.shape(data.grid_open) != (n,):
        raise ValueError(f"grid_open of shape {np.shape(data.grid_open)} for a {n} h window")
    open_ = np.ones(n, bool) if data.grid_open is None else np.asarray(data.grid_open, bool)
    for t in range(n):
        model.price[t] = float(data.price_eur_per_mwh[t])
        model.demand[t] = float(data.hydrogen_demand_mw[t])
    for s in model.S:
        for t in range(n):
            model.wind_avail[s, t] = float(wind[s, t])
            model.pv_avail[s, t] = float(pv[s, t])
            model.import_limit[s, t] = float(imp[s, t])
            # a closed hour buys nothing, the own loads' standby and demand included
            model.grid_import[s, t].setub(float(grid[s]) if open_[t] else 0.0)
    for s in model.B:
        model.soc0[s] = float(state.battery_soc_mwh[s])
    cheap = data.price_eur_per_mwh <= BATTERY_MODE_PRICE_EUR_PER_MWH
    for (_s, t), var in model.bat_mode.items():
        binary = bool(cheap[t]) and t < model.integer_hours
        if binary != var.is_binary():
            var.domain = pyo.Binary if binary else pyo.UnitInterval
    for s in model.HS:
        model.level0[s] = float(state.hydrogen_storage_mwh[s])
    factor = degradation_factor(portfolio, state.stack_hours)
    for s in model.E:
        model.on0[s] = float(bool(state.electrolysis_on[s]))
        model.eff_factor[s] = float(factor[s])
    for s in model.G:
        model.gas_on0[s] = float(bool(state.gas_on[s]))
    model.battery_value = float(data.battery_value_eur_per_mwh)
    model.hydrogen_value = float(data.hydrogen_value_eur_per_mwh)
    if portfolio.heat is not None:
        if data.heat_demand_mw is None or data.cop_heat_pump is None or (
            data.cop_waste_heat is None
        ):
            raise ValueError("a model with heat needs the window's heat demand and COPs")
        ns = portfolio.n_sites
        vh.set_heat_window(
            model, portfolio.heat, data.heat_demand_mw, data.cop_heat_pump,
            data.cop_waste_heat,
            np.zeros(ns) if state.thermal_storage_mwh is None else state.thermal_storage_mwh,
            np.zeros(ns, bool) if state.chp_on is None else state.chp_on,
            np.zeros(ns) if data.heat_value_eur_per_mwh is None
            else data.heat_value_eur_per_mwh,
        )
    spec = model.reserve_spec
    if spec is not None:
        prices = data.reserve_price_eur_per_mw
        n_blocks = len(model.BLK)
        if prices is None or np.shape(prices) != (len(spec.products), n_blocks):
            raise ValueError(
                f"reserve prices of shape {None if prices is None else np.shape(prices)} "
                f"for a model of {len(spec.products)} products and {n_blocks} blocks"
            )
        for j, k in enumerate(spec.products):
            for b in range(n_blocks):
                model.reserve_price[k, b] = float(prices[j, b])


def forbid_simultaneous_battery_use(model: pyo.ConcreteModel, hours: np.ndarray) -> int:
    """Make the battery mode binary where ``hours`` (``(n_sites, n_hours)`` bool) is true.

    Used when a solved window charges and discharges a battery in the same hour
    (round-trip losses used to dump power a unit at minimum load cannot sell).
    Only hours with binary on/off decisions are changed; returns how many modes
    became binary.
    """
    changed = 0
    for (s, t), var in model.bat_mode.items():
        if hours[s, t] and t < model.integer_hours and not var.is_binary():
            var.domain = pyo.Binary
            changed += 1
    return changed


def fix_commitment(
    model: pyo.ConcreteModel, electrolysis_on: np.ndarray, gas_on: np.ndarray, n_hours: int,
    chp_on: np.ndarray | None = None,
) -> None:
    """Fix the on/off decisions of the first ``n_hours`` through their bounds.

    ``electrolysis_on``, ``gas_on`` and (with heat) ``chp_on`` have shape
    ``(n_sites, window hours)``; values are rounded to 0 or 1.
    """
    pairs = [(electrolysis_on, model.el_on), (gas_on, model.gas_on)]
    if chp_on is not None and hasattr(model, "chp_on"):
        pairs.append((chp_on, model.chp_on))
    for on, var_set in pairs:
        for (s, t), var in var_set.items():
            if t < n_hours:
                v = float(round(on[s, t]))
                var.setlb(v)
                var.setub(v)


def fix_binaries(model: pyo.ConcreteModel) -> list[pyo.Var]:
    """Fix every binary variable to its rounded value (bounds); returns them for release.

    With the on/off decisions fixed the window is an LP: solving it again gives the
    exact optimum of the continuous decisions (flows, storage) for that commitment.
    """
    fixed = []
    for var in (*model.el_on.values(), *model.gas_on.values(), *model.bat_mode.values(),
                *_chp_on(model)):
        if var.is_binary():
            v = float(round(var.value or 0.0))
            var.setlb(v)
            var.setub(v)
            fixed.append(var)
    return fixed


def release(variables: list[pyo.Var]) -> None:
    """Undo :func:`fix_binaries` (bounds back to [0, 1])."""
    for var in variables:
        var.setlb(0.0)
        var.setub(1.0)


def free_commitment(model: pyo.ConcreteModel) -> None:
    """Undo :func:`fix_commitment`."""
    for var in (*model.el_on.values(), *model.gas_on.values(), *_chp_on(model)):
        var.setlb(0.0)
        var.setub(1.0)


def _chp_on(model: pyo.ConcreteModel) -> list[pyo.Var]:
    """The CHP on/off variables of a model with heat (none without)."""
    return list(model.chp_on.values()) if hasattr(model, "chp_on") else []


#: Values of a variable's members in index order, e.g. ``WindowSolver.values``.
Values = Callable[[pyo.Var], np.ndarray]


def pyomo_values(var: pyo.Var) -> np.ndarray:
    """Values loaded into the Pyomo variable ``var`` (index order; unset reads 0)."""
    return np.fromiter((v.value or 0.0 for v in var.values()), float, count=len(var))


def _values(
    var: pyo.Var, rows: list[int], n_sites: int, n_hours: int, values: Values
) -> np.ndarray:
    """``var`` indexed by (site in ``rows``, hour) as an ``(n_sites, n_hours)`` array."""
    out = np.zeros((n_sites, n_hours))
    if rows:
        out[rows] = values(var).reshape(len(rows), n_hours)
    return out


def read_schedule(
    model: pyo.ConcreteModel, portfolio: Portfolio, data: WindowData,
    values: Values = pyomo_values,
) -> dict[str, np.ndarray]:
    """The solved window as results-schema arrays plus the on/off states.

    Site variables are shaped ``(n_sites, n_hours)``, system variables
    ``(n_hours,)`` (transpose site variables for :func:`nzv_energy.schema.make_dataset`).
    ``gas_on`` is included for the state carried to the next window.  ``values``
    reads the solution: the Pyomo variables (default) or the solver's
    (``WindowSolver.values``, nothing loaded into Pyomo).
    """
    p = portfolio
    n, ns = data.n_hours, p.n_sites
    sets = p.site_sets()

    def get(var: pyo.Var, key: str) -> np.ndarray:
        return _values(var, sets[key], ns, n, values)

    def sites(var: pyo.Var) -> np.ndarray:
        return _values(var, list(range(ns)), ns, n, values)

    on = get(model.el_on, "electrolysis")
    on_int = np.round(on)
    standby = p.electrolysis_standby_fraction * p.electrolysis_mw[:, None] * (1.0 - on)
    standby[[s for s in range(ns) if s not in sets["electrolysis"]]] = 0.0
    shed = sites(model.unserved_el)
    standby_short = np.minimum(shed, standby)
    standby = standby - standby_short
    local = p.local_demand_mw[:, None] - (shed - standby_short)
    gas = get(model.gas_power, "gas")
    fuel = gas / p.gas_efficiency
    wind = p.wind_mw[:, None] * data.wind_cf
    pv = p.pv_mw[:, None] * data.pv_cf
    pipeline = get(model.pipeline, "pipeline")
    unserved = values(model.unserved)
    # buying and selling (or filling and emptying a lossless store) in the same hour is
    # the same as the net flow: report the net (balances and levels are unchanged)
    imp, exp = _net(sites(model.grid_import), sites(model.grid_export))
    h2_in, h2_out = _net(get(model.h2_charge, "h2_storage"), get(model.h2_discharge, "h2_storage"))
    out = {
        "wind_mw": wind,
        "pv_mw": pv,
        "curtailment_mw": sites(model.curtail_wind) + sites(model.curtail_pv),
        "local_demand_mw": local,
        "electrolysis_input_mw": get(model.el_power, "electrolysis") + standby,
        "electrolysis_standby_mw": standby,
        "hydrogen_output_mw": get(model.h2_out, "electrolysis"),
        "electrolysis_on": on_int,
        "battery_charge_mw": get(model.charge, "battery"),
        "battery_discharge_mw": get(model.discharge, "battery"),
        "battery_soc_mwh": get(model.soc, "battery"),
        "grid_import_mw": imp,
        "grid_export_mw": exp,
        "gas_backup_mw": gas,
        "gas_backup_fuel_mw": fuel,
        "gas_backup_hydrogen_fuel_mw": fuel if p.gas_fuel == "hydrogen" else np.zeros_like(fuel),
        "hydrogen_storage_charge_mw": h2_in,
        "hydrogen_storage_discharge_mw": h2_out,
        "hydrogen_storage_mwh": get(model.h2_level, "h2_storage"),
        "pipeline_flow_mw": pipeline,
        "hydrogen_demand_mw": np.asarray(data.hydrogen_demand_mw, float).copy(),
        "hydrogen_delivered_mw": pipeline.sum(axis=0),
        "unserved_hydrogen_mw": unserved,
        "price_eur_per_mwh": np.asarray(data.price_eur_per_mwh, float).copy(),
        "gas_on": np.round(get(model.gas_on, "gas")),
    }
    if p.heat is not None:
        out.update(vh.read_heat_schedule(model, p.heat, ns, values, out))
    spec = model.reserve_spec
    if spec is not None:
        blk = np.arange(n) // spec.block_hours
        reserve = values(model.reserve).reshape(len(model.RU), len(model.K), len(model.BLK))
        for i, (u, s) in enumerate(model.RU):
            for j, k in enumerate(spec.products):
                held = reserve[i, j]
                out.setdefault(reserve_key(k, u), np.zeros((ns, n)))[s] = held[blk]
        for k in spec.products:
            for u in UNITS:
                out.setdefault(reserve_key(k, u), np.zeros((ns, n)))
    for array in out.values():
        array[np.abs(array) < SNAP] = 0.0
    return out


def reserve_key(product: str, unit: str) -> str:
    """Schedule key of the capacity ``unit`` holds for ``product``, MW, ``(n_sites, n)``."""
    return f"reserve_{product}_{unit}_mw"


def _net(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two opposite flows replaced by their net flow, ``(max(a - b, 0), max(b - a, 0))``."""
    d = a - b
    return np.maximum(d, 0.0), np.maximum(-d, 0.0)
