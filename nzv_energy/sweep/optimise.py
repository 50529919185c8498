"""``--optimise``: size each member's capacity ranges with PyPSA/HiGHS, then dispatch it.

Each member (its field values and weather year) is sized by
:func:`nzv_energy.sizing.optimise` on its own weather year; the sized system
is then run through the same dispatch kernels as every other member, so its
KPIs are comparable.  The sized capacities come back as extra KPIs
``sized_<site>_<capacity>`` and the optimiser's own LCOH as
``optimiser_lcoh_eur_per_kg``.  One solve takes seconds (fast mode) to a
minute or more (exact mode, 8,760 hours): meant for tens of members, not
thousands.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from nzv_energy.scenario import Scenario
from nzv_energy.system import SystemInputs

#: Extra KPI: the optimiser's LCOH of the sized system.
OPTIMISER_LCOH = "optimiser_lcoh_eur_per_kg"


def sized_name(path: str) -> str:
    """KPI name of a sized capacity: ``sites.boxberg.wind_mw`` -> ``sized_boxberg_wind_mw``."""
    parts = path.split(".")
    if parts[0] == "sites":
        return f"sized_{parts[1]}_{'_'.join(parts[2:])}"
    if parts[:2] == ["hydrogen", "storage_mwh"]:
        return f"sized_{parts[2]}_hydrogen_storage_mwh"
    return "sized_" + "_".join(parts)


def extra_kpi_names(base: Scenario, swept: set[str]) -> tuple[str, ...]:
    """Names of the extra KPIs of an optimised sweep of ``base`` (ranges not swept)."""
    return (OPTIMISER_LCOH, *(sized_name(p) for p in base.ranges() if p not in swept))


def size_member(
    inputs: SystemInputs, base_demand_mean_mw: float, scenario: Scenario, year: int
) -> tuple[Scenario, dict[str, float]]:
    """Size a member's ranges on its weather year.

    Parameters
    ----------
    inputs
        The sweep's hourly inputs (all weather years).
    base_demand_mean_mw
        Mean hydrogen demand the hourly demand series was built for, MW (the member's
        ``hydrogen.demand.mean_mw`` scales it).
    scenario
        The member's scenario (with ranges).
    year
        The member's weather year.

    Returns
    -------
    sized, extra
        The sized scenario and the extra KPIs (sized capacities, optimiser LCOH).

    Raises
    ------
    ModelInfeasibleError, SolverLimitError
        As :func:`nzv_energy.sizing.optimise` (recorded as the member's error).
    """
    from nzv_energy.sizing import optimise

    one_year = scenario.model_copy(
        update={"weather": scenario.weather.model_copy(update={"years": (year,)})}
    )
    year_inputs = inputs.select_year(year)
    base_mean = base_demand_mean_mw
    scale = scenario.hydrogen.demand.mean_mw / base_mean if base_mean > 0 else 0.0
    year_inputs = dataclasses.replace(
        year_inputs, scenario=one_year, hydrogen_demand_mw=year_inputs.hydrogen_demand_mw * scale
    )
    result = optimise(one_year, year_inputs)
    sized: Any = result.scenario
    extra = {OPTIMISER_LCOH: float(result.system_net_cost_per_kg_h2_eur_per_kg)}
    ranges = scenario.ranges()
    for path in ranges:
        parts = path.split(".")
        if parts[0] == "sites":
            value = getattr(sized.sites[parts[1]], parts[2])
        else:
            value = sized.hydrogen.storage_mwh[parts[2]]
        extra[sized_name(path)] = float(value)
    return sized, extra
