"""District heat in the VPP window model: one heat bus per site with a ``heat:`` block.

:class:`HeatPortfolio` holds the heat assets of every site (capacities and
parameters from the one definition the rules use,
:func:`nzv_energy.heat.inputs.heat_capacity_vector` and
:func:`~nzv_energy.heat.inputs.heat_parameter_vector`; variable O&M from
:func:`nzv_energy.heat.kpis.heat_asset_costs`).  :func:`add_heat` adds the heat
variables and constraints to a window model; the hourly heat inputs (demand and
the COPs, as ``1 / COP``) are mutable parameters, so the model is still built once
per window length.  Per heat site ``s`` and hour ``t`` (MW_th unless named)::

    waste + (chp_heat - dumped) + heat_pump + electric_boiler + peak_boiler
        + discharge + unserved = demand + charge

    level[t] = (1 - loss) * level[t-1] + charge - discharge,   0 <= level <= E
    charge, discharge <= store power

* Waste heat of the electrolyser, ``W = share x p_stack`` (zero when the stack is
  off; standby makes none).  Direct: ``waste <= W``.  Booster heat pump:
  ``booster_el = waste / COP_w``, ``waste <= booster rating`` and the source heat
  ``waste - booster_el <= W``.  A large heat pump on electrolyser heat takes its
  source heat ``heat_pump - heat_pump_el`` from the same ``W``.
* Large heat pump ``heat_pump_el = heat_pump / COP(t)``; electric boiler
  ``el = heat / efficiency``; peak gas boiler ``gas = heat / efficiency``.
* CHP with unit commitment (binary ``chp_on``): fuel between
  ``min_load x fuel cap x on`` and ``fuel cap x on`` (fuel cap =
  ``electric_mw / efficiency``); extraction: ``P = efficiency x fuel - c_v x Q``
  (the iso-fuel line from the condensing point) and ``P >= c_b x Q`` (the
  back-pressure line); back-pressure: ``P = efficiency x fuel = c_b x Q``.  CHP
  heat may be dumped (``dumped <= chp_heat``).  ``start >= on[t] - on[t-1]`` at
  the start cost.  The heat block has no minimum load or start cost of its own:
  the scenario's ``vpp.gas_min_load_fraction`` (of the fuel cap) and
  ``vpp.gas_start_cost_eur_per_mw`` (per MW_el) of the gas units apply.
* Natural gas (CHP, peak boiler) costs the scenario's gas price plus its CO2
  price x the natural-gas factor, as the gas backup; a hydrogen CHP burns the
  site's hydrogen (a sink of the site's hydrogen balance).
* All heat electricity (booster, heat pump, electric boiler) is a sink of the
  site's electricity balance, the CHP's power a source; power for heat is bought
  only within the import policy (like the electrolyser's), not as own load.

The objective loses the fuel, CO2 and variable O&M of the heat sources, the CHP's
starts and ``unserved_heat_penalty_eur_per_mwh`` per MWh_th unserved (the block's),
and gains the value of the heat left in the store at the window's end
(:func:`heat_values`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from nzv_energy.heat.simulate import HEAT_VARIABLES
from nzv_energy.kernels import heat as hk
from nzv_energy.scenario import Scenario

#: Capacities below this are treated as absent (MW or MWh).
_MIN = 1e-9

#: Heat variable names of the dataset (``dispatch.nc``), in kernel row order.
HEAT_VARIABLE_NAMES: tuple[str, ...] = tuple(name for name, _, _ in HEAT_VARIABLES.values())


@dataclass(frozen=True)
class HeatPortfolio:
    """Heat assets and constants of the sites with a ``heat:`` block.

    ``cap`` ``(n_sites, N_HEAT_CAP)`` and ``par`` ``(n_sites, N_HEAT_PAR)`` hold the
    capacities ``HC_*`` and parameters ``HP_*`` of :mod:`nzv_energy.kernels.heat`
    (rows of sites without heat are zero); ``sites`` are the indices with heat.
    """

    sites: tuple[int, ...]
    cap: np.ndarray
    par: np.ndarray
    chp_hydrogen: np.ndarray
    initial_storage_fraction: np.ndarray
    unserved_heat_penalty_eur_per_mwh: np.ndarray
    vom_chp_eur_per_mwh_el: np.ndarray
    vom_heat_pump_eur_per_mwh_th: np.ndarray
    vom_booster_eur_per_mwh_th: np.ndarray
    vom_electric_boiler_eur_per_mwh_th: np.ndarray
    vom_peak_boiler_eur_per_mwh_th: np.ndarray
    natural_gas_cost_eur_per_mwh: float
    chp_min_load_fraction: float
    chp_start_cost_eur_per_mw: float

    @property
    def chp_sites(self) -> list[int]:
        """Sites with a CHP."""
        return [s for s in self.sites if self.cap[s, hk.HC_CHP_MW_EL] > _MIN]

    @property
    def hydrogen_chp_sites(self) -> list[int]:
        """Sites whose CHP burns the site's hydrogen."""
        return [s for s in self.chp_sites if self.chp_hydrogen[s]]

    def fuel_cap_mw(self, s: int) -> float:
        """Fuel the CHP of site ``s`` burns at full load, MW (LHV)."""
        return float(self.cap[s, hk.HC_CHP_MW_EL] / self.par[s, hk.HP_CHP_ELECTRIC_EFFICIENCY])

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> HeatPortfolio | None:
        """The heat assets of ``scenario`` (None without a ``heat:`` block).

        Raises
        ------
        ScenarioError
            A heat capacity is a ``{min, max}`` range.
        """
        from nzv_energy.heat.inputs import heat_capacity_vector, heat_parameter_vector
        from nzv_energy.heat.kpis import heat_asset_costs

        if scenario.heat is None:
            return None
        names = scenario.site_names
        n = len(names)
        eco = scenario.economics
        co2 = scenario.technology.gas_backup.natural_gas_co2_t_per_mwh
        cap = np.zeros((n, hk.N_HEAT_CAP))
        par = np.zeros((n, hk.N_HEAT_PAR))
        par[:, hk.HP_CHP_C_B] = 1.0
        par[:, hk.HP_CHP_ELECTRIC_EFFICIENCY] = 1.0
        par[:, hk.HP_ELECTRIC_BOILER_EFFICIENCY] = 1.0
        par[:, hk.HP_GAS_BOILER_EFFICIENCY] = 1.0
        hydrogen = np.zeros(n, bool)
        initial = np.zeros(n)
        penalty = np.zeros(n)
        vom = {k: np.zeros(n) for k in ("chp", "heat_pump", "booster_heat_pump",
                                         "electric_boiler", "peak_boiler")}
        sites = []
        for s, name in enumerate(names):
            block = scenario.heat.get(name)
            if block is None:
                continue
            sites.append(s)
            cap[s] = heat_capacity_vector(block, eco.cost_year)
            par[s] = heat_parameter_vector(
                block, eco.cost_year, gas_price_eur_per_mwh=eco.gas_price_eur_per_mwh,
                co2_price_eur_per_t=eco.co2_price_eur_per_t, natural_gas_co2_t_per_mwh=co2,
            )
            hydrogen[s] = block.chp is not None and block.chp.fuel == "hydrogen"
            if block.thermal_storage is not None:
                initial[s] = block.thermal_storage.initial_fraction
            penalty[s] = block.unserved_heat_penalty_eur_per_mwh
            assets = heat_asset_costs(block, eco.cost_year, eco.discount_rate)
            for asset, values in vom.items():
                if asset in assets.index:
                    values[s] = float(assets.at[asset, "vom_eur_per_mwh"])
        return cls(
            sites=tuple(sites), cap=cap, par=par, chp_hydrogen=hydrogen,
            initial_storage_fraction=initial, unserved_heat_penalty_eur_per_mwh=penalty,
            vom_chp_eur_per_mwh_el=vom["chp"], vom_heat_pump_eur_per_mwh_th=vom["heat_pump"],
            vom_booster_eur_per_mwh_th=vom["booster_heat_pump"],
            vom_electric_boiler_eur_per_mwh_th=vom["electric_boiler"],
            vom_peak_boiler_eur_per_mwh_th=vom["peak_boiler"],
            natural_gas_cost_eur_per_mwh=eco.gas_price_eur_per_mwh + eco.co2_price_eur_per_t * co2,
            chp_min_load_fraction=scenario.vpp.gas_min_load_fraction,
            chp_start_cost_eur_per_mw=scenario.vpp.gas_start_cost_eur_per_mw,
        )


def add_heat(m: pyo.ConcreteModel, h: HeatPortfolio, on_domain: object) -> pyo.Expression:
    """Add the heat buses to window model ``m``; returns the heat part of the profit.

    Needs ``m.T``, ``m.E`` and ``m.el_power`` (the stack power, for the waste heat);
    ``on_domain`` is the on/off domain rule of the model's units (binary or relaxed
    by hour).  The caller adds :func:`power_out` / :func:`power_in` to the
    electricity balance and :func:`hydrogen_burnt` to the hydrogen balance.
    """
    cap, par = h.cap, h.par
    m.HT = pyo.Set(initialize=list(h.sites), ordered=True)
    m.HC = pyo.Set(initialize=h.chp_sites, ordered=True)
    m.heat_demand = pyo.Param(m.HT, m.T, mutable=True, initialize=0.0)
    m.inv_cop_hp = pyo.Param(m.HT, m.T, mutable=True, initialize=0.5)
    m.inv_cop_w = pyo.Param(m.HT, m.T, mutable=True, initialize=0.5)
    m.store0 = pyo.Param(m.HT, mutable=True, initialize=0.0)
    m.chp_on0 = pyo.Param(m.HC, mutable=True, initialize=0.0)
    m.heat_value = pyo.Param(m.HT, mutable=True, initialize=0.0)

    def ub(k: int) -> object:
        return lambda _m, s, _t: (0.0, float(cap[s, k]))

    booster = {s: par[s, hk.HP_RECOVERY_BOOSTER] > 0.5 for s in h.sites}
    m.waste_heat = pyo.Var(
        m.HT, m.T, bounds=lambda _m, s, _t: (
            0.0, float(cap[s, hk.HC_BOOSTER_HEAT_PUMP_MW_TH]) if booster[s] else None),
    )
    m.booster_el = pyo.Var(
        m.HT, m.T, bounds=lambda _m, s, _t: (0.0, None if booster[s] else 0.0)
    )
    m.hp_heat = pyo.Var(m.HT, m.T, bounds=ub(hk.HC_HEAT_PUMP_MW_TH))
    m.eb_heat = pyo.Var(m.HT, m.T, bounds=ub(hk.HC_ELECTRIC_BOILER_MW_TH))
    m.gb_heat = pyo.Var(m.HT, m.T, bounds=ub(hk.HC_GAS_BOILER_MW_TH))
    m.heat_charge = pyo.Var(m.HT, m.T, bounds=ub(hk.HC_STORAGE_MW))
    m.heat_discharge = pyo.Var(m.HT, m.T, bounds=ub(hk.HC_STORAGE_MW))
    m.heat_level = pyo.Var(m.HT, m.T, bounds=ub(hk.HC_STORAGE_MWH))
    m.unserved_heat = pyo.Var(m.HT, m.T, within=pyo.NonNegativeReals)
    m.chp_on = pyo.Var(m.HC, m.T, within=on_domain)
    m.chp_start = pyo.Var(m.HC, m.T, bounds=(0.0, 1.0))
    m.chp_fuel = pyo.Var(m.HC, m.T, within=pyo.NonNegativeReals)
    m.chp_el = pyo.Var(m.HC, m.T, within=pyo.NonNegativeReals)
    m.chp_heat = pyo.Var(m.HC, m.T, within=pyo.NonNegativeReals)
    m.heat_dumped = pyo.Var(m.HC, m.T, within=pyo.NonNegativeReals)

    def chp_used(s: int, t: int) -> pyo.Expression:
        return m.chp_heat[s, t] - m.heat_dumped[s, t] if s in m.HC else 0.0

    m.heat_balance = pyo.Constraint(
        m.HT, m.T, rule=lambda _m, s, t: m.waste_heat[s, t] + chp_used(s, t) + m.hp_heat[s, t]
        + m.eb_heat[s, t] + m.gb_heat[s, t] + m.heat_discharge[s, t] + m.unserved_heat[s, t]
        == m.heat_demand[s, t] + m.heat_charge[s, t],
    )
    m.booster_power = pyo.Constraint(
        [s for s in h.sites if booster[s]], m.T,
        rule=lambda _m, s, t: m.booster_el[s, t] == m.inv_cop_w[s, t] * m.waste_heat[s, t],
    )
    from_ely = {s: par[s, hk.HP_HEAT_PUMP_SOURCE_ELECTROLYSER] > 0.5 for s in h.sites}
    m.hp_power = pyo.Var(m.HT, m.T, within=pyo.NonNegativeReals)
    m.hp_power_def = pyo.Constraint(
        m.HT, m.T, rule=lambda _m, s, t: m.hp_power[s, t]
        == (m.inv_cop_w[s, t] if from_ely[s] else m.inv_cop_hp[s, t]) * m.hp_heat[s, t],
    )

    def waste_rule(_m: pyo.ConcreteModel, s: int, t: int) -> pyo.Expression:
        available = (
            float(par[s, hk.HP_RECOVERY_SHARE]) * m.el_power[s, t] if s in m.E else 0.0
        )
        used = m.waste_heat[s, t] - m.booster_el[s, t]
        if from_ely[s]:
            used = used + m.hp_heat[s, t] - m.hp_power[s, t]
        return used <= available

    m.waste_heat_source = pyo.Constraint(m.HT, m.T, rule=waste_rule)
    loss = {s: float(par[s, hk.HP_STORAGE_LOSS_FRACTION_PER_HOUR]) for s in h.sites}

    def level_rule(_m: pyo.ConcreteModel, s: int, t: int) -> pyo.Expression:
        prev = m.store0[s] if t == 0 else m.heat_level[s, t - 1]
        return m.heat_level[s, t] == (1.0 - loss[s]) * prev + m.heat_charge[s, t] - (
            m.heat_discharge[s, t]
        )

    m.heat_level_balance = pyo.Constraint(m.HT, m.T, rule=level_rule)

    eta = {s: float(par[s, hk.HP_CHP_ELECTRIC_EFFICIENCY]) for s in h.chp_sites}
    c_b = {s: float(par[s, hk.HP_CHP_C_B]) for s in h.chp_sites}
    back = {s: par[s, hk.HP_CHP_BACK_PRESSURE] > 0.5 for s in h.chp_sites}
    c_v = {s: 0.0 if back[s] else float(par[s, hk.HP_CHP_C_V]) for s in h.chp_sites}
    m.chp_fuel_max = pyo.Constraint(
        m.HC, m.T, rule=lambda _m, s, t: m.chp_fuel[s, t] <= h.fuel_cap_mw(s) * m.chp_on[s, t]
    )
    m.chp_fuel_min = pyo.Constraint(
        m.HC, m.T, rule=lambda _m, s, t: m.chp_fuel[s, t]
        >= h.chp_min_load_fraction * h.fuel_cap_mw(s) * m.chp_on[s, t],
    )
    # power on the iso-fuel line from the condensing point (c_v = 0: back-pressure unit)
    m.chp_power = pyo.Constraint(
        m.HC, m.T, rule=lambda _m, s, t: m.chp_el[s, t]
        == eta[s] * m.chp_fuel[s, t] - c_v[s] * m.chp_heat[s, t],
    )

    def back_pressure(_m: pyo.ConcreteModel, s: int, t: int) -> pyo.Expression:
        if back[s]:
            return m.chp_el[s, t] == c_b[s] * m.chp_heat[s, t]
        return m.chp_el[s, t] >= c_b[s] * m.chp_heat[s, t]

    m.chp_back_pressure = pyo.Constraint(m.HC, m.T, rule=back_pressure)
    m.chp_dump_max = pyo.Constraint(
        m.HC, m.T, rule=lambda _m, s, t: m.heat_dumped[s, t] <= m.chp_heat[s, t]
    )

    def start_rule(_m: pyo.ConcreteModel, s: int, t: int) -> pyo.Expression:
        prev = m.chp_on0[s] if t == 0 else m.chp_on[s, t - 1]
        return m.chp_start[s, t] >= m.chp_on[s, t] - prev

    m.chp_start_def = pyo.Constraint(m.HC, m.T, rule=start_rule)

    gas = h.natural_gas_cost_eur_per_mwh
    eta_gb = {s: float(par[s, hk.HP_GAS_BOILER_EFFICIENCY]) for s in h.sites}
    cost = sum(
        sum(
            (gas / eta_gb[s] + h.vom_peak_boiler_eur_per_mwh_th[s]) * m.gb_heat[s, t]
            + h.vom_heat_pump_eur_per_mwh_th[s] * m.hp_heat[s, t]
            + h.vom_booster_eur_per_mwh_th[s] * m.waste_heat[s, t]
            + h.vom_electric_boiler_eur_per_mwh_th[s] * m.eb_heat[s, t]
            + float(h.unserved_heat_penalty_eur_per_mwh[s]) * m.unserved_heat[s, t]
            for s in m.HT
        )
        + sum(
            (0.0 if h.chp_hydrogen[s] else gas) * m.chp_fuel[s, t]
            + h.vom_chp_eur_per_mwh_el[s] * m.chp_el[s, t]
            + h.chp_start_cost_eur_per_mw * float(cap[s, hk.HC_CHP_MW_EL]) * m.chp_start[s, t]
            for s in m.HC
        )
        for t in m.T
    )
    last = len(m.T) - 1
    return sum(m.heat_value[s] * m.heat_level[s, last] for s in m.HT) - cost


def power_out(m: pyo.ConcreteModel, s: int, t: int) -> pyo.Expression:
    """Electricity the heat bus of site ``s`` delivers in hour ``t`` (the CHP's), MW."""
    return m.chp_el[s, t] if s in m.HC else 0.0


def power_in(m: pyo.ConcreteModel, h: HeatPortfolio, s: int, t: int) -> pyo.Expression:
    """Electricity the heat bus of site ``s`` takes in hour ``t``, MW."""
    eta_eb = float(h.par[s, hk.HP_ELECTRIC_BOILER_EFFICIENCY])
    return m.booster_el[s, t] + m.hp_power[s, t] + m.eb_heat[s, t] / eta_eb


def hydrogen_burnt(m: pyo.ConcreteModel, h: HeatPortfolio, s: int, t: int) -> pyo.Expression:
    """Hydrogen the CHP of site ``s`` burns in hour ``t``, MW_H2 (0 for natural gas)."""
    return m.chp_fuel[s, t] if s in h.hydrogen_chp_sites else 0.0


def set_heat_window(
    m: pyo.ConcreteModel, h: HeatPortfolio, demand_mw: np.ndarray, cop_heat_pump: np.ndarray,
    cop_waste_heat: np.ndarray, level_mwh: np.ndarray, chp_on: np.ndarray,
    value_eur_per_mwh: np.ndarray,
) -> None:
    """Load the heat inputs of a window (site arrays ``(n_sites, n)``) and its start state."""
    n = len(m.T)
    for name, arr in (("heat_demand_mw", demand_mw), ("cop_heat_pump", cop_heat_pump),
                      ("cop_waste_heat", cop_waste_heat)):
        if np.shape(arr)[1:] != (n,):
            raise ValueError(f"{name} of shape {np.shape(arr)} for a {n} h window")
    for s in m.HT:
        for t in range(n):
            m.heat_demand[s, t] = float(demand_mw[s, t])
            m.inv_cop_hp[s, t] = 1.0 / float(cop_heat_pump[s, t])
            m.inv_cop_w[s, t] = 1.0 / float(cop_waste_heat[s, t])
        m.store0[s] = float(level_mwh[s])
        m.heat_value[s] = float(value_eur_per_mwh[s])
    for s in m.HC:
        m.chp_on0[s] = float(bool(chp_on[s]))


def heat_values(
    h: HeatPortfolio, n_sites: int, median_price: float, cop_heat_pump: np.ndarray
) -> np.ndarray:
    """Value of one MWh_th left in each site's store at a window's end, EUR.

    The cheapest marginal cost of heat from a source that can be bought at will, at the
    window's median price (not below 0): the heat pump (median price x the window's
    median ``1 / COP``, plus its O&M), the electric boiler (price / efficiency plus O&M)
    and the peak gas boiler (natural gas and CO2 / efficiency plus O&M); capped at the
    unserved-heat penalty; zero at a site with none of them.
    """
    out = np.zeros(n_sites)
    price = max(float(median_price), 0.0)
    for s in h.sites:
        options = [float(h.unserved_heat_penalty_eur_per_mwh[s])]
        if h.cap[s, hk.HC_HEAT_PUMP_MW_TH] > _MIN:
            inv = float(np.median(1.0 / cop_heat_pump[s]))
            options.append(price * inv + float(h.vom_heat_pump_eur_per_mwh_th[s]))
        if h.cap[s, hk.HC_ELECTRIC_BOILER_MW_TH] > _MIN:
            options.append(price / float(h.par[s, hk.HP_ELECTRIC_BOILER_EFFICIENCY])
                           + float(h.vom_electric_boiler_eur_per_mwh_th[s]))
        if h.cap[s, hk.HC_GAS_BOILER_MW_TH] > _MIN:
            options.append(h.natural_gas_cost_eur_per_mwh
                           / float(h.par[s, hk.HP_GAS_BOILER_EFFICIENCY])
                           + float(h.vom_peak_boiler_eur_per_mwh_th[s]))
        out[s] = min(options) if len(options) > 1 else 0.0
    return out


def read_heat_schedule(
    m: pyo.ConcreteModel, h: HeatPortfolio, n_sites: int, values: object,
    electricity: Mapping[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """The heat variables of a solved window, ``(n_sites, n)`` each, plus ``chp_on``.

    ``values`` reads a variable's solution (index order).  ``electricity`` holds the
    window's ``grid_import_mw``, ``electrolysis_input_mw`` and ``local_demand_mw``:
    the power bought for heat is the site's imports x the heat's share of the site's
    electricity use (electrolyser, local load, heat), as the rule-based dispatch
    attributes the CO2 of imports; the rest of the heat's power is from the site's own
    generation (``heat_electricity_from_surplus_mw``).
    """
    n = len(m.T)
    rows = list(h.sites)
    chp_rows = h.chp_sites

    def get(var: pyo.Var, which: list[int]) -> np.ndarray:
        out = np.zeros((n_sites, n))
        if which:
            out[which] = values(var).reshape(len(which), n)  # type: ignore[operator]
        return out

    demand = np.zeros((n_sites, n))
    for s in rows:
        demand[s] = [pyo.value(m.heat_demand[s, t]) for t in range(n)]
    share = h.par[:, hk.HP_RECOVERY_SHARE][:, None]
    stack = np.zeros((n_sites, n))
    if len(m.E):
        stack[list(m.E)] = values(m.el_power).reshape(len(m.E), n)  # type: ignore[operator]
    available = share * stack
    waste = get(m.waste_heat, rows)
    booster = get(m.booster_el, rows)
    hp = get(m.hp_heat, rows)
    hp_el = get(m.hp_power, rows)
    eb = get(m.eb_heat, rows)
    eb_el = eb / h.par[:, hk.HP_ELECTRIC_BOILER_EFFICIENCY][:, None]
    from_ely = (h.par[:, hk.HP_HEAT_PUMP_SOURCE_ELECTROLYSER] > 0.5)[:, None]
    charge, discharge = _net(get(m.heat_charge, rows), get(m.heat_discharge, rows))
    level = get(m.heat_level, rows)
    start = np.array([pyo.value(m.store0[s]) if s in h.sites else 0.0 for s in range(n_sites)])
    prev = np.concatenate([start[:, None], level[:, :-1]], axis=1)
    loss = h.par[:, hk.HP_STORAGE_LOSS_FRACTION_PER_HOUR][:, None] * prev
    heat_el = booster + hp_el + eb_el
    use = electricity["electrolysis_input_mw"] + electricity["local_demand_mw"] + heat_el
    bought = np.divide(electricity["grid_import_mw"] * heat_el, use, out=np.zeros_like(use),
                       where=use > 1e-12)
    bought = np.minimum(bought, heat_el)
    gb = get(m.gb_heat, rows)
    out = {
        "heat_demand_mw": demand,
        "waste_heat_available_mw": available,
        "heat_from_waste_heat_mw": waste,
        "heat_pump_heat_mw": hp,
        "electric_boiler_heat_mw": eb,
        "chp_heat_mw": get(m.chp_heat, chp_rows),
        "chp_electric_mw": get(m.chp_el, chp_rows),
        "chp_fuel_mw": get(m.chp_fuel, chp_rows),
        "gas_boiler_heat_mw": gb,
        "gas_boiler_fuel_mw": gb / h.par[:, hk.HP_GAS_BOILER_EFFICIENCY][:, None],
        "thermal_storage_charge_mw": charge,
        "thermal_storage_discharge_mw": discharge,
        "thermal_storage_loss_mw": loss,
        "thermal_storage_mwh": level,
        "unserved_heat_mw": get(m.unserved_heat, rows),
        "heat_dumped_mw": get(m.heat_dumped, chp_rows),
        "heat_electricity_from_surplus_mw": heat_el - bought,
        "heat_electricity_import_mw": bought,
        "booster_electricity_mw": booster,
        "heat_pump_electricity_mw": hp_el,
        "electric_boiler_electricity_mw": eb_el,
        "waste_heat_source_used_mw": waste - booster + np.where(from_ely, hp - hp_el, 0.0),
        "chp_on": np.round(get(m.chp_on, chp_rows)),
    }
    return out


def idle_heat_schedule(
    h: HeatPortfolio, demand_mw: np.ndarray, level_mwh: np.ndarray
) -> dict[str, np.ndarray]:
    """Heat variables of hours no schedule covers (the fallback's): nothing runs.

    The demand is reported unserved and the store only loses its standing loss.
    """
    n_sites, n = demand_mw.shape
    out = {name: np.zeros((n_sites, n)) for name in HEAT_VARIABLE_NAMES}
    out["chp_on"] = np.zeros((n_sites, n))
    keep = 1.0 - h.par[:, hk.HP_STORAGE_LOSS_FRACTION_PER_HOUR]
    level = np.asarray(level_mwh, float) * keep[:, None] ** np.arange(1, n + 1)[None, :]
    prev = np.concatenate([np.asarray(level_mwh, float)[:, None], level[:, :-1]], axis=1)
    out["heat_demand_mw"] = np.asarray(demand_mw, float).copy()
    out["unserved_heat_mw"] = out["heat_demand_mw"].copy()
    out["thermal_storage_mwh"] = level
    out["thermal_storage_loss_mw"] = prev - level
    return out


def _net(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two opposite flows replaced by their net flow."""
    d = a - b
    return np.maximum(d, 0.0), np.maximum(-d, 0.0)
