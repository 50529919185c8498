"""The sizing LP built directly as a sparse matrix for HiGHS (the fast engine).

Same optimum as the PyPSA/linopy model of :mod:`nzv_energy.sizing.model`
(the tests compare the two), with a leaner formulation:

* fixed capacities become variable bounds instead of constraint rows
  (``0 ≤ wind_t ≤ cf_t × wind_mw``), only sized ones need a row per hour;
* storage levels are balanced directly against the bus flows (no separate
  store power variable); one battery power rating serves both directions;
* the grid connection is one signed flow per site and hour
  (``-rating ≤ grid_t ≤ rating``, cost = price × flow) unless a constraint
  needs the gross import;
* no per-component bookkeeping of a general modelling layer: the matrix is
  assembled from NumPy index arithmetic in a few milliseconds.

Columns per site and snapshot ``t`` (when the site has the technology):
wind, pv, electrolysis, pipeline, hydrogen storage level, battery charge,
discharge and level, gas backup (electric output), grid (or import and
export).  Rows per site and snapshot: electricity balance, hydrogen balance,
battery balance, and ``flow ≤ capacity`` for every sized capacity; per
snapshot: the demand balance.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import highspy
import numpy as np
import pandas as pd

from nzv_energy.economics import HYDROGEN_LHV_KWH_PER_KG
from nzv_energy.grid_carbon import import_allowed_hours
from nzv_energy.sizing.extra import previous_snapshot
from nzv_energy.sizing.heat import (
    DirectHeatColumns,
    add_heat_direct,
    heat_co2_terms_direct,
    heat_solution_direct,
)
from nzv_energy.sizing.network import (
    Bounds,
    SizingNetwork,
    cheap_hours,
    grid_carbon_t_per_mwh,
    storage_share_requirement_mwh,
)

logger = logging.getLogger(__name__)

INF = highspy.kHighsInf
#: Which renewables :func:`build_direct_model` writes into the balance as ``cf × capacity``.
Substitute = Literal["fixed", "all", "none"]

#: Flow names of :attr:`LpSolution.flows` (arrays shaped ``(n_snapshots, n_sites)``).
FLOWS = (
    "wind", "pv", "electrolysis", "pipeline", "hydrogen_storage_level",
    "hydrogen_storage_net_discharge", "battery_charge", "battery_discharge", "battery_level",
    "gas_backup", "grid_import", "grid_export", "gas_to_grid",
)


@dataclass(frozen=True)
class FirmRequirement:
    """How a firm delivery to the grid enters the LP (``docs/security_of_supply.md``).

    Every hour the sites' net export (grid export less grid import, gas backup
    output sent to the grid included) must reach the firm power; gas-fired power
    reaches the grid only within the firm power (it never feeds the electrolyser
    or market sales beyond it).

    Attributes
    ----------
    mode
        ``"commit"``: net export ≥ ``firm_mw`` every hour (sizing);
        ``"maximise"``: one firm-power column per weather year, objective
        ``-Σ firm`` (the caller sets the other costs);
        ``"shortfall"``: net export + shortfall ≥ ``firm_mw`` with a shortfall
        column per hour costed at its hours (minimising the energy short).
    firm_mw
        The commitment, MW (unused for ``"maximise"``).
    """

    mode: Literal["commit", "maximise", "shortfall"]
    firm_mw: float = 0.0

__all__ = ["FLOWS", "DirectModel", "FirmRequirement", "LpSolution", "Substitute",
           "Substitution", "build_direct_model", "previous_snapshot", "read_direct_solution",
           "renewable_substitution_allowed"]


@dataclass
class _Builder:
    """Accumulates columns and rows (COO triplets) of an LP."""

    lower: list[np.ndarray] = field(default_factory=list)
    upper: list[np.ndarray] = field(default_factory=list)
    cost: list[np.ndarray] = field(default_factory=list)
    n_col: int = 0
    rows_i: list[np.ndarray] = field(default_factory=list)
    rows_j: list[np.ndarray] = field(default_factory=list)
    rows_v: list[np.ndarray] = field(default_factory=list)
    row_lo: list[np.ndarray] = field(default_factory=list)
    row_hi: list[np.ndarray] = field(default_factory=list)
    n_row: int = 0
    row_groups: dict[str, np.ndarray] = field(default_factory=dict)

    def cols(self, n: int, lo: object = 0.0, hi: object = INF, cost: object = 0.0) -> np.ndarray:
        idx = np.arange(self.n_col, self.n_col + n)
        self.lower.append(np.broadcast_to(np.asarray(lo, dtype=np.float64), (n,)).copy())
        self.upper.append(np.broadcast_to(np.asarray(hi, dtype=np.float64), (n,)).copy())
        self.cost.append(np.broadcast_to(np.asarray(cost, dtype=np.float64), (n,)).copy())
        self.n_col += n
        return idx

    def rows(
        self, name: str, n: int, terms: Sequence[tuple[Any, Any, Any]],
        lo: object, hi: object,
    ) -> np.ndarray:
        """Add ``n`` rows; each term is (row offset 0..n-1, column, coefficient) arrays."""
        base = self.n_row
        for r, c, v in terms:
            r, c, v = np.broadcast_arrays(np.asarray(r), np.asarray(c), np.asarray(v, float))
            self.rows_i.append(r.ravel() + base)
            self.rows_j.append(c.ravel())
            self.rows_v.append(v.ravel().astype(np.float64))
        self.row_lo.append(np.broadcast_to(np.asarray(lo, dtype=np.float64), (n,)).copy())
        self.row_hi.append(np.broadcast_to(np.asarray(hi, dtype=np.float64), (n,)).copy())
        self.n_row += n
        idx = np.arange(base, base + n)
        self.row_groups[name] = idx
        return idx

    def to_highs_lp(self) -> highspy.HighsLp:
        lp = highspy.HighsLp()
        lp.num_col_ = self.n_col
        lp.num_row_ = self.n_row
        lp.col_cost_ = np.concatenate(self.cost)
        lp.col_lower_ = np.concatenate(self.lower)
        lp.col_upper_ = np.concatenate(self.upper)
        lp.row_lower_ = np.concatenate(self.row_lo) if self.row_lo else np.zeros(0)
        lp.row_upper_ = np.concatenate(self.row_hi) if self.row_hi else np.zeros(0)
        i = np.concatenate(self.rows_i)
        j = np.concatenate(self.rows_j)
        v = np.concatenate(self.rows_v)
        keep = v != 0.0
        i, j, v = i[keep], j[keep], v[keep]
        order = np.lexsort((i, j))  # column-wise
        i, j, v = i[order], j[order], v[order]
        start = np.searchsorted(j, np.arange(self.n_col + 1))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.num_col_ = self.n_col
        lp.a_matrix_.num_row_ = self.n_row
        lp.a_matrix_.start_ = start.astype(np.int32)
        lp.a_matrix_.index_ = i.astype(np.int32)
        lp.a_matrix_.value_ = v
        return lp


@dataclass
class DirectModel:
    """The LP and where each quantity lives in it."""

    lp: highspy.HighsLp
    capacity_cols: dict[tuple[str, str], int]
    flow_cols: dict[tuple[str, str], np.ndarray]
    demand_rows: np.ndarray
    row_groups: dict[str, np.ndarray]
    objective_weights: np.ndarray
    unserved_cols: np.ndarray | None = None
    firm_cols: np.ndarray | None = None
    firm_rows: np.ndarray | None = None
    #: ``(site, "wind" | "pv") -> Substitution`` for renewables without a dispatch column
    substituted: dict[tuple[str, str], Substitution] = field(default_factory=dict)
    #: site -> district heat columns (:mod:`nzv_energy.sizing.heat`)
    heat_cols: dict[str, DirectHeatColumns] = field(default_factory=dict)


@dataclass(frozen=True)
class Substitution:
    """A renewable written as ``cf_t × capacity`` into its site's electricity balance.

    Attributes
    ----------
    cf
        Capacity factor per snapshot.
    capacity_col
        Column of the sized capacity; ``-1`` when the capacity is fixed.
    fixed_mw
        The fixed capacity, MW (``0`` when sized).
    """

    cf: np.ndarray
    capacity_col: int
    fixed_mw: float

    def available_mw(self, x: np.ndarray) -> np.ndarray:
        """Available output per snapshot at the solution ``x``, MW."""
        cap = float(x[self.capacity_col]) if self.capacity_col >= 0 else self.fixed_mw
        return self.cf * cap


@dataclass
class LpSolution:
    """A solved model in plain arrays, whichever engine solved it.

    Attributes
    ----------
    capacities
        ``(site, technology) -> value`` (MW, MWh), for the capacities in the model.
    flows
        :data:`FLOWS` name -> array ``(n_snapshots, n_sites)``; gas backup is electric output.
    hydrogen_price_eur_per_mwh
        Dual of the demand balance per snapshot divided by its objective weight.
    objective
        Objective value, EUR/a (with the constant of the counted fixed capital).
    capacity_reduced_costs
        ``(site, technology) -> d objective / d capacity`` at the optimum for every
        sized capacity, EUR/a per MW (or MWh): the reduced cost of the capacity
        (direct engine) or the dual of its bound constraints (PyPSA engine).  Zero
        when no bound binds; negative at a binding upper bound (one more MW saves
        that much), positive at a binding lower bound.
    firm_marginal_eur_per_mw_year
        ``d objective / d security.firm_mw``: what one more MW of firm commitment
        adds to the annual cost at the optimum, EUR/(MW a) (duals of the firm rows);
        ``None`` without a commitment.
    """

    capacities: dict[tuple[str, str], float]
    flows: dict[str, np.ndarray]
    hydrogen_price_eur_per_mwh: np.ndarray
    objective: float
    capacity_reduced_costs: dict[tuple[str, str], float] = field(default_factory=dict)
    firm_marginal_eur_per_mw_year: float | None = None
    #: :data:`nzv_energy.sizing.heat.HEAT_FLOWS` name -> ``(n_snapshots, n_sites)``
    heat_flows: dict[str, np.ndarray] = field(default_factory=dict)


def build_direct_model(
    sn: SizingNetwork,
    unserved_penalty_eur_per_mwh: float | None = None,
    *,
    firm: FirmRequirement | None = None,
    substitute_renewables: Substitute = "fixed",
) -> DirectModel:
    """Assemble the LP of a planned sizing network (no PyPSA objects needed).

    Parameters
    ----------
    sn
        The planned network.
    unserved_penalty_eur_per_mwh
        When set, the demand balance gets an unserved-hydrogen column per
        snapshot at this cost (fast mode's hourly evaluation of fixed
        capacities, which may fall short in single hours); ``None``: the demand
        is a hard equality, as in the sizing.
    firm
        A firm delivery to the grid; ``None``: ``security.firm_mw`` of the
        scenario as a commitment when it is positive, else none.
    substitute_renewables
        Which wind and PV without a variable operating cost enter the site's
        electricity balance as ``cf_t × capacity`` (the balance becomes
        ``supply ≥ use``, its surplus is curtailment) instead of a dispatch column
        and a limit row per snapshot, where :func:`renewable_substitution_allowed`
        says that is exact: ``"fixed"`` (default) those of fixed capacity (their
        output moves to the right-hand side), ``"all"`` also sized ones (the
        capacity column then enters every balance row: measured faster on the
        segmented fast-mode LP, slower on the hourly one, docs/PERFORMANCE.md),
        ``"none"`` always the dispatch columns.
    """
    sc = sn.scenario
    if firm is None and sc.security.firm_mw > 0:
        firm = FirmRequirement("commit", sc.security.firm_mw)
    inputs = sn.inputs
    T = len(inputs.time)
    t = np.arange(T)
    w = sn.weights_h
    ow = w / sn.n_years
    prev = previous_snapshot(inputs.time)
    c = sn.costs
    tech = sc.technology
    eff_el = tech.electrolysis.efficiency
    eff_bat = tech.battery.charge_efficiency
    eff_gas = tech.gas_backup.efficiency
    hydrogen_fired = sc.operation.gas_backup_fuel == "hydrogen"
    price = inputs.price_eur_per_mwh
    allowed = import_allowed_hours(sc, inputs)
    b = _Builder()
    cap_cols: dict[tuple[str, str], int] = {}
    flow: dict[tuple[str, str], np.ndarray] = {}
    substituted: dict[tuple[str, str], Substitution] = {}
    heat_cols: dict[str, DirectHeatColumns] = {}

    def capacity(site: str, fld: str, unit_cost: float) -> Bounds:
        bd = sn.bounds[(site, fld)]
        if bd.extendable:
            cap_cols[(site, fld)] = int(b.cols(1, bd.lo, bd.hi, unit_cost)[0])
        return bd

    def limited_flow(site: str, fld: str, name: str, unit_cost: float, pu: object,
                     cost: object, flow_max: float = INF) -> np.ndarray:
        """Flow in [0, flow_max] limited by pu × capacity: a bound when fixed, rows when sized."""
        bd = capacity(site, fld, unit_cost)
        pu_arr = np.broadcast_to(np.asarray(pu, dtype=np.float64), (T,))
        if bd.extendable:
            cols = b.cols(T, 0.0, flow_max, cost)
            b.rows(f"{name}_limit {site}", T,
                   [(t, cols, 1.0), (t, cap_cols[(site, fld)], -pu_arr)], -INF, 0.0)
        else:
            cols = b.cols(T, 0.0, np.minimum(pu_arr * bd.lo, flow_max), cost)
        flow[(site, name)] = cols
        return cols

    pipe_cols: list[np.ndarray] = []
    for i, (site, s) in enumerate(sc.sites.items()):
        comps = sn.sites[site]
        el_terms: list[tuple[np.ndarray, object, object]] = []
        h2_terms: list[tuple[np.ndarray, np.ndarray, object]] = []
        # fixed renewable output written into the balance's right-hand side, MW
        el_fixed_supply = np.zeros(T)
        substitute = (substitute_renewables != "none"
                      and renewable_substitution_allowed(sn, site))
        for present, fld, name, unit_cost, cf, vom in (
            (comps.wind is not None, "wind_mw", "wind", c.wind_eur_per_mw_year,
             inputs.wind_cf[i], c.wind_vom_eur_per_mwh),
            (comps.pv is not None, "pv_mw", "pv", c.pv_eur_per_mw_year, inputs.pv_cf[i],
             c.pv_vom_eur_per_mwh),
        ):
            if not present:
                continue
            if substitute and vom == 0.0 and (
                    substitute_renewables == "all" or not sn.bounds[(site, fld)].extendable):
                bd = capacity(site, fld, unit_cost)
                cf_arr = np.asarray(cf, dtype=np.float64)
                if bd.extendable:
                    el_terms.append((t, cap_cols[(site, fld)], cf_arr))
                    substituted[(site, name)] = Substitution(cf_arr, cap_cols[(site, fld)], 0.0)
                else:
                    el_fixed_supply += cf_arr * bd.lo
                    substituted[(site, name)] = Substitution(cf_arr, -1, bd.lo)
                continue
            cols = limited_flow(site, fld, name, unit_cost, cf, ow * vom)
            el_terms.append((t, cols, 1.0))
        if comps.electrolysis is not None:
            cols = limited_flow(site, "electrolysis_mw", "electrolysis",
                                c.electrolysis_eur_per_mw_year, 1.0,
                                ow * c.electrolysis_vom_eur_per_mwh_el)
            el_terms.append((t, cols, -1.0))
            h2_terms.append((t, cols, eff_el * w))
        if comps.pipeline is not None:
            cols = limited_flow(site, "pipeline_mw", "pipeline",
                                c.pipeline_eur_per_mw_km_year * float(inputs.pipeline_km[i]),
                                1.0, 0.0)
            h2_terms.append((t, cols, -w))
            pipe_cols.append(cols)
        if comps.hydrogen_storage is not None:
            cols = limited_flow(site, "hydrogen_storage_mwh", "hydrogen_storage_level",
                                c.hydrogen_storage_eur_per_mwh_year, 1.0, 0.0)
            # w·(production - pipeline - fuel) = level_t - level_{t-1}
            h2_terms += [(t, cols, -1.0), (t, cols[prev], 1.0)]
        if comps.gas_generator is not None or comps.gas_link is not None:
            cost = (ow * c.gas_backup_eur_per_mwh_el if not hydrogen_fired
                    else ow * c.gas_vom_eur_per_mwh_el)
            # gas backup serves the site's own load only, never the electrolyser
            # (and, under a firm commitment, the firm delivery to the grid)
            cols = limited_flow(site, "gas_backup_mw", "gas_backup",
                                c.gas_backup_eur_per_mw_year, 1.0, cost,
                                flow_max=INF if firm else float(s.local_demand_mw))
            el_terms.append((t, cols, 1.0))
            if firm is not None:
                to_grid = b.cols(T, 0.0, float(s.grid_connection_mw), -ow * price)
                b.rows(f"gas_local {site}", T, [(t, cols, 1.0), (t, to_grid, -1.0)],
                       0.0, float(s.local_demand_mw))
                el_terms.append((t, to_grid, -1.0))
                flow[(site, "gas_to_grid")] = to_grid
            if hydrogen_fired:
                h2_terms.append((t, cols, -w / eff_gas))
        if comps.battery_unit is not None or comps.battery_store is not None:
            bp = capacity(site, "battery_mw", c.battery_power_eur_per_mw_year)
            be = capacity(site, "battery_mwh", c.battery_energy_eur_per_mwh_year)
            min_soc = tech.battery.min_soc_fraction
            if bp.extendable:
                ch, dis = b.cols(T), b.cols(T)
                for name, cols in (("battery_charge", ch), ("battery_discharge", dis)):
                    b.rows(f"{name}_limit {site}", T,
                           [(t, cols, 1.0), (t, cap_cols[(site, "battery_mw")], -1.0)],
                           -INF, 0.0)
            else:
                ch, dis = b.cols(T, 0.0, bp.lo), b.cols(T, 0.0, bp.lo)
            if be.extendable:
                lvl = b.cols(T)
                col = cap_cols[(site, "battery_mwh")]
                b.rows(f"battery_level_limit {site}", T, [(t, lvl, 1.0), (t, col, -1.0)],
                       -INF, 0.0)
                if min_soc > 0:
                    b.rows(f"battery_level_min {site}", T,
                           [(t, lvl, 1.0), (t, col, -min_soc)], 0.0, INF)
            else:
                lvl = b.cols(T, min_soc * be.lo, be.lo)
            b.rows(f"battery_balance {site}", T,
                   [(t, lvl, 1.0), (t, lvl[prev], -1.0), (t, ch, -eff_bat * w),
                    (t, dis, w / eff_bat)], 0.0, 0.0)
            el_terms += [(t, ch, -1.0), (t, dis, 1.0)]
            flow[(site, "battery_charge")] = ch
            flow[(site, "battery_discharge")] = dis
            flow[(site, "battery_level")] = lvl
        conn = float(s.grid_connection_mw)
        # a firm delivery is sold even where the sizing sells nothing else (_firm_rows)
        sell = conn if (sn.export_allowed or firm is not None) else 0.0
        buy = conn if allowed is None else conn * allowed  # 0 above the carbon threshold
        if comps.grid is not None:
            hi = buy if sn.grid_import_allowed else 0.0
            cols = b.cols(T, -sell, hi, ow * price)
            el_terms.append((t, cols, 1.0))
            flow[(site, "grid")] = cols
        if comps.grid_import is not None:
            cols = b.cols(T, 0.0, buy, ow * price)
            el_terms.append((t, cols, 1.0))
            flow[(site, "grid_import")] = cols
        if comps.grid_export is not None:
            cols = b.cols(T, 0.0, sell, -ow * price)
            el_terms.append((t, cols, -1.0))
            flow[(site, "grid_export")] = cols
        if sn.heat is not None and site in sn.heat.sites:  # district heat of the site
            el_heat, h2_heat, heat_cols[site] = add_heat_direct(
                sn, b, site, t, w, ow, prev, flow.get((site, "electrolysis")), cap_cols)
            el_terms += el_heat
            h2_terms += h2_heat
        local = float(s.local_demand_mw)
        if el_terms or el_fixed_supply.any():
            # with wind or PV substituted: supply ≥ use, the surplus is curtailed
            free = any(key[0] == site for key in substituted)
            b.rows(f"electricity_balance {site}", T, el_terms, local - el_fixed_supply,
                   INF if free else local - el_fixed_supply)
        elif local > 0:
            raise ValueError(f"site {site}: local demand but no supply")
        if h2_terms:
            b.rows(f"hydrogen_balance {site}", T, h2_terms, 0.0, 0.0)

    demand = inputs.hydrogen_demand_mw
    demand_terms = [(t, cols, 1.0) for cols in pipe_cols]
    unserved = None
    if unserved_penalty_eur_per_mwh is not None:
        unserved = b.cols(T, 0.0, demand, ow * unserved_penalty_eur_per_mwh)
        demand_terms.append((t, unserved, 1.0))
    demand_rows = b.rows("demand_balance", T, demand_terms, demand, demand)
    _extra_rows(sn, b, flow, cap_cols, t, w, ow, heat_cols)
    firm_cols = firm_rows = None
    if firm is not None:
        firm_cols, firm_rows = _firm_rows(sn, b, flow, t, w, firm)
    lp = b.to_highs_lp()
    # the capital of counted fixed capacities (economics.fixed_assets: annualised)
    lp.offset_ = sn.objective_constant_eur_per_year
    return DirectModel(
        lp=lp,
        capacity_cols=cap_cols,
        flow_cols=flow,
        demand_rows=demand_rows,
        row_groups=b.row_groups,
        objective_weights=ow,
        unserved_cols=unserved,
        firm_cols=firm_cols,
        firm_rows=firm_rows,
        substituted=substituted,
        heat_cols=heat_cols,
    )


def renewable_substitution_allowed(sn: SizingNetwork, site: str) -> bool:
    """Whether wind and PV of ``site`` may enter its electricity balance as ``cf × capacity``.

    The balance then reads ``supply ≥ use``: its slack is curtailment.  That is
    the same optimum as dispatch columns ``0 ≤ p_t ≤ cf_t × capacity`` with an
    equality balance as long as no surplus can be worth having: every other
    supply of the site (gas backup, battery discharge, grid import) costs
    nothing or more, and no constraint counts the renewables' dispatch (RFNBO
    matching).  Grid import at a negative price breaks it (importing to dump
    would earn money), so a site that can import in an hour of negative price
    keeps the dispatch columns.  Only renewables without a variable operating
    cost are substituted (:func:`build_direct_model`): curtailing one with a
    cost saves that cost, which the balance's slack cannot attribute.
    """
    if sn.scenario.optimisation.rfnbo != "none":
        return False
    heat = None if sn.heat is None else sn.heat.sites.get(site)
    if heat is not None and heat.has("chp_mw"):
        return False  # a CHP's power comes with its heat: a free surplus would dump it
    comps = sn.sites[site]
    can_import = comps.grid_import is not None or (
        comps.grid is not None and sn.grid_import_allowed)
    if not can_import or float(sn.scenario.sites[site].grid_connection_mw) <= 0.0:
        return True
    negative = sn.inputs.price_eur_per_mwh < 0.0
    allowed = import_allowed_hours(sn.scenario, sn.inputs)
    if allowed is not None:
        negative &= np.asarray(allowed, dtype=np.float64) > 0.0
    return not bool(negative.any())


def _firm_rows(
    sn: SizingNetwork,
    b: _Builder,
    flow: dict[tuple[str, str], np.ndarray],
    t: np.ndarray,
    w: np.ndarray,
    firm: FirmRequirement,
) -> tuple[np.ndarray | None, np.ndarray]:
    """Rows of a firm delivery (:class:`FirmRequirement`); returns (firm or shortfall cols, rows).

    Per site: grid export plus gas sent to the grid within the connection.  Per
    snapshot: net export of all sites ≥ firm power (= firm power when the
    sizing sells nothing else), gas sent to the grid ≤ firm power.
    """
    T = len(t)
    net: list[tuple[Any, Any, Any]] = []
    gas: list[tuple[Any, Any, Any]] = []
    for site, s in sn.scenario.sites.items():
        x = flow.get((site, "gas_to_grid"))
        if x is not None:
            net.append((t, x, 1.0))
            gas.append((t, x, 1.0))
            conn = float(s.grid_connection_mw)
            if (site, "grid") in flow:
                b.rows(f"firm_connection {site}", T,
                       [(t, flow[(site, "grid")], 1.0), (t, x, -1.0)], -conn, INF)
            elif (site, "grid_export") in flow:
                b.rows(f"firm_connection {site}", T,
                       [(t, flow[(site, "grid_export")], 1.0), (t, x, 1.0)], -INF, conn)
        if (site, "grid") in flow:
            net.append((t, flow[(site, "grid")], -1.0))
        for name, sign in (("grid_export", 1.0), ("grid_import", -1.0)):
            if (site, name) in flow:
                net.append((t, flow[(site, name)], sign))
    only_firm = not sn.export_allowed
    if firm.mode == "maximise":
        _, year = np.unique(pd.DatetimeIndex(sn.inputs.time).year.to_numpy(),
                            return_inverse=True)
        cols = b.cols(int(year.max()) + 1, 0.0, INF, -1.0)
        rows = b.rows("firm_delivery", T, [*net, (t, cols[year], -1.0)],
                      0.0, 0.0 if only_firm else INF)
        if gas:
            b.rows("firm_gas", T, [*gas, (t, cols[year], -1.0)], -INF, 0.0)
        return cols, rows
    c_mw = float(firm.firm_mw)
    short = None
    if firm.mode == "shortfall":
        short = b.cols(T, 0.0, c_mw, w)
        net = [*net, (t, short, 1.0)]
    rows = b.rows("firm_delivery", T, net, c_mw, c_mw if only_firm else INF)
    if gas:
        b.rows("firm_gas", T, gas, -INF, c_mw)
    return short, rows


def _extra_rows(
    sn: SizingNetwork,
    b: _Builder,
    flow: dict[tuple[str, str], np.ndarray],
    cap_cols: dict[tuple[str, str], int],
    t: np.ndarray,
    w: np.ndarray,
    ow: np.ndarray,
    heat_cols: dict[str, DirectHeatColumns] | None = None,
) -> None:
    """The scenario's constraints beyond the energy system (see :mod:`.extra`)."""
    opt = sn.scenario.optimisation
    T = len(t)
    if opt.rfnbo != "none":
        cheap = cheap_hours(sn).astype(np.float64)
        monthly = opt.rfnbo == "monthly"
        if monthly:
            months = pd.DatetimeIndex(sn.inputs.time).to_period("M")
            _, month_idx = np.unique(np.asarray(months.astype(str)), return_inverse=True)
            n_rows, r, scale = int(month_idx.max()) + 1, month_idx, w
        else:
            n_rows, r, scale = T, t, np.ones(T)
        for site in sn.sites:
            if (site, "electrolysis") not in flow:
                continue
            terms = [(r, flow[(site, "electrolysis")], scale)]
            for name in ("wind", "pv"):
                if (site, name) in flow:
                    terms.append((r, flow[(site, name)], -scale))
            if (site, "grid_import") in flow:
                terms.append((r, flow[(site, "grid_import")], -scale * cheap))
            b.rows(f"rfnbo {site}", n_rows, terms, -INF, 0.0)
    if opt.co2_cap_t_per_year is not None:
        cols = [flow[(s, "gas_backup")] for s, comps in sn.sites.items()
                if comps.gas_generator is not None]
        co2 = sn.costs.gas_co2_t_per_mwh_el
        terms = [(np.zeros(T, int), cc, ow * co2) for cc in cols]
        if (carbon := grid_carbon_t_per_mwh(sn.scenario, sn.inputs)) is not None:
            terms += [(np.zeros(T, int), flow[(s, "grid_import")], ow * carbon)
                      for s in sn.sites if (s, "grid_import") in flow]
        terms += heat_co2_terms_direct(sn, heat_cols or {}, ow, np.zeros(T, int))
        if terms:
            b.rows("co2_cap", 1, terms, -INF, opt.co2_cap_t_per_year)
    if opt.max_hydrogen_carbon_intensity_kg_per_kg is not None:
        _hydrogen_carbon_rows(sn, b, flow, w)
    if opt.max_grid_import_mwh_per_year is not None:
        cols = [flow[(s, "grid_import")] for s in sn.sites if (s, "grid_import") in flow]
        if cols:
            b.rows("grid_import_cap", 1, [(np.zeros(T, int), cc, ow) for cc in cols],
                   -INF, opt.max_grid_import_mwh_per_year)
    if opt.min_storage_share is not None:
        need = storage_share_requirement_mwh(sn, opt.min_storage_share)
        fixed = sum(bd.lo for (s, f), bd in sn.bounds.items()
                    if f == "hydrogen_storage_mwh" and not bd.extendable)
        storage = [cap_cols[(s, "hydrogen_storage_mwh")] for s in sn.sites
                   if (s, "hydrogen_storage_mwh") in cap_cols]
        if storage:
            b.rows("storage_share", 1, [(np.zeros(len(storage), int), np.asarray(storage), 1.0)],
                   need - fixed, INF)


def _hydrogen_carbon_rows(
    sn: SizingNetwork,
    b: _Builder,
    flow: dict[tuple[str, str], np.ndarray],
    w: np.ndarray,
) -> None:
    """Per weather year: emissions (natural gas, grid imports) <= limit x hydrogen.

    As :func:`nzv_energy.sizing.extra.add_hydrogen_carbon_limit`.
    """
    opt = sn.scenario.optimisation
    assert opt.max_hydrogen_carbon_intensity_kg_per_kg is not None
    _, year = np.unique(pd.DatetimeIndex(sn.inputs.time).year.to_numpy(), return_inverse=True)
    per_t = opt.max_hydrogen_carbon_intensity_kg_per_kg / HYDROGEN_LHV_KWH_PER_KG
    eff_el = sn.scenario.technology.electrolysis.efficiency
    terms = [(year, flow[(s, "gas_backup")], w * sn.costs.gas_co2_t_per_mwh_el)
             for s, comps in sn.sites.items() if comps.gas_generator is not None]
    carbon = grid_carbon_t_per_mwh(sn.scenario, sn.inputs)
    if carbon is not None:
        terms += [(year, flow[(s, "grid_import")], w * carbon)
                  for s in sn.sites if (s, "grid_import") in flow]
    electrolysis = [(year, flow[(s, "electrolysis")], -w * eff_el * per_t)
                    for s in sn.sites if (s, "electrolysis") in flow]
    if terms and electrolysis:
        b.rows("hydrogen_carbon_limit", int(year.max()) + 1, terms + electrolysis, -INF, 0.0)


def _substituted_flows(
    dm: DirectModel, x: np.ndarray, row_value: np.ndarray, sites: list[str],
    flows: dict[str, np.ndarray],
) -> None:
    """Dispatch of substituted renewables: available output less the balance's surplus.

    The surplus (row activity above its lower bound) is curtailment; when both
    wind and PV of a site are substituted it is shared in proportion to their
    available output.
    """
    for j, site in enumerate(sites):
        names = [n for n in ("wind", "pv") if (site, n) in dm.substituted]
        if not names:
            continue
        rows = dm.row_groups[f"electricity_balance {site}"]
        lower = np.asarray(dm.lp.row_lower_)[rows]
        surplus = np.maximum(row_value[rows] - lower, 0.0)
        avail = {n: dm.substituted[(site, n)].available_mw(x) for n in names}
        total = sum(avail.values())
        share = np.divide(np.minimum(surplus, total), total, out=np.zeros_like(total),
                          where=total > 0)
        for n in names:
            flows[n][:, j] = avail[n] * (1.0 - share)


def read_direct_solution(sn: SizingNetwork, dm: DirectModel, h: highspy.Highs) -> LpSolution:
    """Plain arrays of a solved direct model."""
    sol = h.getSolution()
    x = np.asarray(sol.col_value)
    T = len(sn.inputs.time)
    sites = list(sn.sites)
    flows = {name: np.zeros((T, len(sites))) for name in FLOWS}
    if dm.substituted:
        _substituted_flows(dm, x, np.asarray(sol.row_value), sites, flows)
    for (site, name), cols in dm.flow_cols.items():
        j = sites.index(site)
        v = x[cols]
        if name == "grid":
            flows["grid_import"][:, j] += np.maximum(v, 0.0)
            flows["grid_export"][:, j] += np.maximum(-v, 0.0)
        elif name == "gas_to_grid":
            # gas sent to the grid is grid export (its own column for the network write-back)
            flows[name][:, j] = v
            flows["grid_export"][:, j] += v
        elif name == "hydrogen_storage_level":
            flows[name][:, j] = v
            # net discharge (MW) = (level_{t-1} - level_t) / hours
            prev = previous_snapshot(sn.inputs.time)
            flows["hydrogen_storage_net_discharge"][:, j] = (v[prev] - v) / sn.weights_h
        elif name in ("grid_import", "grid_export"):
            flows[name][:, j] += v
        else:
            flows[name][:, j] = v
    caps = {}
    for (site, fld), bd in sn.bounds.items():
        caps[(site, fld)] = float(x[dm.capacity_cols[(site, fld)]]) if (
            (site, fld) in dm.capacity_cols) else (0.0 if bd.is_zero else bd.lo)
    heat_caps, heat_flows = heat_solution_direct(
        sn, dm.heat_cols, {s: cols for (s, name), cols in dm.flow_cols.items()
                           if name == "electrolysis"}, x)
    caps.update(heat_caps)
    duals = np.asarray(sol.row_dual)
    price = duals[dm.demand_rows] / dm.objective_weights
    if h.getLp().sense_ == highspy.ObjSense.kMaximize:  # pragma: no cover - never set
        price = -price
    col_dual = np.asarray(sol.col_dual)
    reduced = {key: float(col_dual[j]) for key, j in dm.capacity_cols.items()}
    firm = None
    if dm.firm_rows is not None and dm.firm_cols is None:  # a commitment (sizing)
        firm = float(duals[dm.firm_rows].sum())
        if "firm_gas" in dm.row_groups:
            firm += float(duals[dm.row_groups["firm_gas"]].sum())
    return LpSolution(
        capacities=caps,
        flows=flows,
        hydrogen_price_eur_per_mwh=price,
        objective=float(h.getInfo().objective_function_value),
        capacity_reduced_costs=reduced,
        firm_marginal_eur_per_mw_year=firm,
        heat_flows=heat_flows,
    )
