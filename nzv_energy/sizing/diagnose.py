"""Explain an infeasible sizing model in scenario terms.

HiGHS computes an irreducible infeasible subset (IIS) of the constraints; each
constraint of it is translated back to what the scenario calls it (hydrogen
demand at Schwarzheide, the electrolyser limit at a site, the CO2 cap...),
with the hours involved and the scenario bounds of the capacities that take
part.  The IIS is only sought for models small enough to do it quickly; the
cheap checks of :mod:`nzv_energy.sizing.precheck` catch the common causes
before solving.
"""

from __future__ import annotations

import logging
from collections import defaultdict

import highspy
import linopy
import numpy as np
import pandas as pd

from nzv_energy.sizing.lp import DirectModel
from nzv_energy.sizing.network import SizingNetwork
from nzv_energy.solver_status import SolveStatus
from nzv_energy.technology import HYDROGEN_LHV_KWH_PER_KG

logger = logging.getLogger(__name__)

#: Constraints the scenario's optimisation options add (listed first in a diagnosis).
_SCENARIO_CONSTRAINTS = ("co2_cap", "hydrogen_carbon_limit", "firm_delivery", "firm_gas",
                         "firm_connection", "grid_import_cap", "storage_share", "rfnbo",
                         "demand_balance")

#: What an infeasible sizing asks of the user when no conflict is named.
_HINT = (
    "the capacity ranges cannot serve the hydrogen demand every hour under the "
    "scenario's constraints; widen the ranges (max electrolysis, wind, PV, hydrogen "
    "storage, pipelines) or relax optimisation.* constraints"
)

#: The same with a firm commitment (security.firm_mw) in the model.
_FIRM_HINT = (
    "the capacity ranges cannot deliver the firm commitment on top of the hydrogen demand "
    "every hour; widen the ranges of what can deliver in calm, dark hours (gas backup, "
    "batteries) or lower security.firm_mw"
)


def _hint(sn: SizingNetwork) -> str:
    return _FIRM_HINT if sn.scenario.security.firm_mw > 0 else _HINT

#: Largest model (rows) for which an IIS is computed.
MAX_IIS_ROWS = 150_000

_COMPONENT_FIELD = {
    "wind": "wind_mw",
    "pv": "pv_mw",
    "electrolysis": "electrolysis_mw",
    "pipeline": "pipeline_mw",
    "hydrogen_storage": "hydrogen_storage_mwh",
    "battery_unit": "battery_mw",
    "battery_store": "battery_mwh",
    "battery_charger": "battery_mw",
    "battery_discharger": "battery_mw",
    "gas_generator": "gas_backup_mw",
    "gas_link": "gas_backup_mw",
}


def carbon_limit_text(sn: SizingNetwork) -> str:
    """The hydrogen carbon limit in words, with the grid intensity of the scenario's hours."""
    limit = sn.scenario.optimisation.max_hydrogen_carbon_intensity_kg_per_kg
    text = (f"hydrogen carbon intensity at most {limit:g} kg CO2e/kg in every weather year "
            "(optimisation.max_hydrogen_carbon_intensity_kg_per_kg)")
    series = sn.inputs.grid_carbon_g_per_kwh
    if limit is not None and series is not None and sn.scenario.operation.grid_import:
        eff = sn.scenario.technology.electrolysis.efficiency
        safe = limit * 1000.0 * eff / HYDROGEN_LHV_KWH_PER_KG
        ci = series.reindex(pd.DatetimeIndex(sn.inputs.time)).to_numpy()
        text += (f"; grid power alone meets it only at or below {safe:.0f} g CO2e/kWh, the "
                 f"grid of these hours lies at {np.nanmin(ci):.0f}-{np.nanmax(ci):.0f}, so "
                 "every imported MWh must be offset by renewable hydrogen")
    return text


def _component_owner(sn: SizingNetwork) -> dict[str, tuple[str, str]]:
    """Component name -> (site, role)."""
    out = {}
    for site, comps in sn.sites.items():
        for role, value in vars(comps).items():
            if isinstance(value, str) and role not in ("site",):
                out[value] = (site, role)
    return out


def scenario_rule_text(sn: SizingNetwork, kind: str, site: str = "") -> str | None:
    """Words for a constraint the scenario's options add (both engines name them alike).

    ``kind`` is the constraint's name up to the first space (``co2_cap``,
    ``firm_delivery``, ...); None for the model's own rows.
    """
    opt = sn.scenario.optimisation
    firm = sn.scenario.security.firm_mw
    if kind == "co2_cap":
        return f"CO2 cap {opt.co2_cap_t_per_year:g} t/a (optimisation.co2_cap_t_per_year)"
    if kind == "hydrogen_carbon_limit":
        return carbon_limit_text(sn)
    if kind == "grid_import_cap":
        return (f"grid import cap {opt.max_grid_import_mwh_per_year:g} MWh/a "
                "(optimisation.max_grid_import_mwh_per_year)")
    if kind == "storage_share":
        return (f"storage-backed share {opt.min_storage_share:g} of the annual demand "
                "(optimisation.min_storage_share)")
    if kind == "firm_delivery":
        return (f"firm delivery of {firm:g} MW to the grid every hour on top of the hydrogen "
                "supply (security.firm_mw)")
    if kind == "firm_gas":
        return (f"gas-fired power to the grid at most the firm commitment {firm:g} MW "
                "(security.firm_mw)")
    if kind == "firm_connection":
        where = f" at {site}" if site else ""
        return f"grid connection{where} carrying the firm delivery (sites.*.grid_connection_mw)"
    return None


def _describe(sn: SizingNetwork, con: str, component: str | None) -> str:
    """Words for one constraint of the model."""
    owner = _component_owner(sn)
    rule = scenario_rule_text(sn, con.split(" ")[0], con.partition(" ")[2] or (component or ""))
    if rule is not None:
        return rule
    if con == "Bus-nodal_balance" and component is not None:
        if component == sn.demand_bus:
            return f"hydrogen demand served every hour at {component.split(' ')[0]}"
        return f"{component} balance"
    if con.startswith(("rfnbo_hourly", "rfnbo_monthly")):
        kind = "hourly" if con.startswith("rfnbo_hourly") else "monthly"
        return f"RFNBO {kind} matching at {con.split(' ', 1)[1]} (optimisation.rfnbo)"
    if component is not None and component in owner:
        site, role = owner[component]
        fld = _COMPONENT_FIELD.get(role)
        what = "level" if "energy_balance" in con else "limit"
        text = f"{component} {what}"
        if fld is not None:
            b = sn.bounds[(site, fld)]
            text += (f" (sites.{site}.{fld} {b.lo:g}..{b.hi:g})" if b.extendable
                     else f" (sites.{site}.{fld} = {b.lo:g})")
        return text
    return f"{con}" + (f" {component}" if component else "")


def explain_infeasibility(sn: SizingNetwork, m: linopy.Model, status: SolveStatus) -> str:
    """A sentence naming the conflicting parts of the scenario, or a generic hint.

    A conflict analysis is sought only for a model proven ``infeasible`` (not for
    ``unbounded`` or ``infeasible_or_unbounded``).
    """
    hint = _hint(sn)
    if status is not SolveStatus.INFEASIBLE:
        return hint
    n_rows = int(m.constraints.ncons)
    if n_rows > MAX_IIS_ROWS:
        return hint + f" (model too large, {n_rows:,} rows, for a conflict analysis)"
    try:
        labels = m.compute_infeasibilities()
    except Exception as exc:
        logger.debug("IIS failed: %s", exc)
        return hint
    if not labels:
        return hint
    groups: dict[tuple[str, str | None], list[object]] = defaultdict(list)
    for label in labels:
        con, coords = m.constraints.get_label_position(int(label))
        if con is None:
            continue
        component = coords.get("name") if isinstance(coords, dict) else None
        snapshot = coords.get("snapshot") if isinstance(coords, dict) else None
        if isinstance(coords, dict) and "year" in coords:  # hydrogen_carbon_limit
            component = str(coords["year"])
        groups[(str(con), component)].append(snapshot)
    parts = []
    def order(kv: tuple[tuple[str, str | None], list[object]]) -> tuple[int, int]:
        return (0 if kv[0][0].startswith(_SCENARIO_CONSTRAINTS) else 1, -len(kv[1]))

    for (con, component), snaps in sorted(groups.items(), key=order):
        text = _describe(sn, con, component)
        stamps = [pd.Timestamp(s) for s in snaps if s is not None]
        if stamps:
            lo, hi = min(stamps), max(stamps)
            span = (f"{lo:%Y-%m-%d %H:%M}" if lo == hi
                    else f"{len(stamps)} hours {lo:%Y-%m-%d %H:%M} to {hi:%Y-%m-%d %H:%M}")
            text += f" [{span}]"
        parts.append(text)
    shown = parts[:8]
    more = f"; and {len(parts) - 8} more" if len(parts) > 8 else ""
    return "conflicting: " + "; ".join(shown) + more + ". " + hint[0].upper() + hint[1:]


_DIRECT_WORDS = {
    "demand_balance": "hydrogen demand served every hour at {demand}",
    "electricity_balance": "electricity balance at {site}",
    "hydrogen_balance": "hydrogen balance (production, storage, pipeline) at {site}",
    "wind_limit": "wind output ≤ capacity × capacity factor at {site} ({bounds_wind_mw})",
    "pv_limit": "PV output ≤ capacity × capacity factor at {site} ({bounds_pv_mw})",
    "electrolysis_limit": "electrolyser limit at {site} ({bounds_electrolysis_mw})",
    "pipeline_limit": "pipeline limit at {site} ({bounds_pipeline_mw})",
    "hydrogen_storage_level_limit": (
        "hydrogen storage limit at {site} ({bounds_hydrogen_storage_mwh})"
    ),
    "gas_backup_limit": "gas backup limit at {site} ({bounds_gas_backup_mw})",
    "battery_balance": "battery level balance at {site}",
    "battery_charge_limit": "battery power at {site} ({bounds_battery_mw})",
    "battery_discharge_limit": "battery power at {site} ({bounds_battery_mw})",
    "battery_level_limit": "battery energy at {site} ({bounds_battery_mwh})",
    "battery_level_min": "battery minimum state of charge at {site}",
    "rfnbo": "RFNBO {rfnbo} matching at {site} (optimisation.rfnbo)",
}


def _bounds_text(sn: SizingNetwork, site: str, fld: str) -> str:
    b = sn.bounds.get((site, fld))
    if b is None:
        return ""
    if b.extendable:
        return f"sites.{site}.{fld} {b.lo:g}..{b.hi:g}"
    return f"sites.{site}.{fld} = {b.lo:g}"


def describe_direct_row_group(sn: SizingNetwork, group: str) -> str:
    """Words for a row group of the direct LP (e.g. ``"electrolysis_limit boxberg"``)."""
    opt = sn.scenario.optimisation
    kind, _, site = group.partition(" ")
    rule = scenario_rule_text(sn, kind, site)
    if rule is not None:
        return rule
    template = _DIRECT_WORDS.get(kind)
    if template is None:
        return group
    fields = {
        f"bounds_{f}": _bounds_text(sn, site, f)
        for f in ("wind_mw", "pv_mw", "electrolysis_mw", "pipeline_mw", "hydrogen_storage_mwh",
                  "gas_backup_mw", "battery_mw", "battery_mwh")
    }
    return template.format(site=site, demand=sn.scenario.hydrogen.demand.site,
                           rfnbo=opt.rfnbo, **fields)


def explain_direct_infeasibility(sn: SizingNetwork, dm: DirectModel, h: highspy.Highs) -> str:
    """Scenario-level explanation of an infeasible direct LP from HiGHS's IIS."""
    hint = _hint(sn)
    groups = dm.row_groups
    n_rows = sum(len(v) for v in groups.values())
    if n_rows > MAX_IIS_ROWS:
        return hint + f" (model too large, {n_rows:,} rows, for a conflict analysis)"
    try:
        h.setOptionValue(
            "iis_strategy",
            int(highspy.IisStrategy.kIisStrategyFromLp)
            | int(highspy.IisStrategy.kIisStrategyIrreducible),
        )
        status, iis = h.getIis()
    except Exception as exc:
        logger.debug("IIS failed: %s", exc)
        return hint
    if status == highspy.HighsStatus.kError or not iis.valid_ or not len(iis.row_index_):
        return hint
    owner: dict[int, tuple[str, int]] = {}
    for name, rows in groups.items():
        for k, r in enumerate(rows):
            owner[int(r)] = (name, k)
    found: dict[str, list[int]] = defaultdict(list)
    for r in iis.row_index_:
        if int(r) in owner:
            name, k = owner[int(r)]
            found[name].append(k)
    time = sn.inputs.time
    parts = []
    for name, ks in sorted(found.items(), key=lambda kv: (
            0 if kv[0].startswith(_SCENARIO_CONSTRAINTS) else 1, -len(kv[1]))):
        text = describe_direct_row_group(sn, name)
        if name == "hydrogen_carbon_limit":  # one row per weather year
            years = [sn.inputs.years[k] for k in sorted(set(ks)) if k < len(sn.inputs.years)]
            text += f" [weather year {', '.join(str(y) for y in years)}]"
        elif len(ks) and name not in ("co2_cap", "grid_import_cap", "storage_share") and not (
            name.startswith("rfnbo") and sn.scenario.optimisation.rfnbo == "monthly"
        ):
            lo, hi = time[min(ks)], time[max(ks)]
            text += (f" [{lo:%Y-%m-%d %H:%M}]" if len(ks) == 1
                     else f" [{len(ks)} hours {lo:%Y-%m-%d %H:%M} to {hi:%Y-%m-%d %H:%M}]")
        parts.append(text)
    shown = parts[:8]
    more = f"; and {len(parts) - 8} more" if len(parts) > 8 else ""
    return "conflicting: " + "; ".join(shown) + more + ". " + hint[0].upper() + hint[1:]
