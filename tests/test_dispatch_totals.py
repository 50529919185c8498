"""The kernel's running totals are the hourly outputs summed hour by hour, bit for bit.

The hour loop adds a total only in hours where its value is not zero (adding an exact
zero leaves a sum unchanged).  Every total whose source in the layout table is a plain
hourly output must therefore equal that output of the same pass summed left to right
from zero - recomputed here in plain Python, independently of the kernel's loop.
"""

from __future__ import annotations

import numpy as np
import pytest

from nzv_energy.dispatch import capacity_array, dispatch_parameter_vector
from nzv_energy.dispatch.parameters import DISPATCH_INDEX
from nzv_energy.dispatch.simulate import hourly_arrays, run_year
from nzv_energy.kernels import layout
from nzv_energy.scenario_file import load_scenario
from nzv_energy.system import build_inputs, fixed_capacities
from tests.conftest import SCENARIOS

SCENARIO = SCENARIOS / "lausitz_2030_fixed.yaml"
SITE_OUTPUT_ROWS = layout.names(layout.SITE_OUTPUTS)
#: (total column, hourly output row) of every total that is a plain sum of one output
PLAIN_TOTALS = tuple(
    (k, SITE_OUTPUT_ROWS.index(entry.source))
    for k, entry in enumerate(layout.SITE_SUMS)
    if not entry.derived
)


def _sequential_sum(values: np.ndarray) -> float:
    """Left-to-right sum from +0.0 (the kernel's order), in plain Python floats."""
    total = 0.0
    for v in values.tolist():
        total += v
    return total


@pytest.fixture(scope="module")
def lausitz() -> tuple[object, np.ndarray, np.ndarray]:
    scenario = load_scenario(SCENARIO)
    inputs = build_inputs(scenario, SCENARIO.parent)
    cap = capacity_array(fixed_capacities(scenario), inputs.site_names)
    return hourly_arrays(inputs), cap, dispatch_parameter_vector(scenario)


@pytest.mark.parametrize("variant", ["shipped", "grid_and_hydrogen_gas"])
def test_plain_totals_equal_hourly_outputs_summed_in_order(
    lausitz: tuple[object, np.ndarray, np.ndarray], variant: str
) -> None:
    arrays, cap, par = lausitz
    par = par.copy()
    if variant == "grid_and_hydrogen_gas":
        # imports in cheap hours, a local load, hydrogen-fired backup ahead of the grid and
        # no batteries: the totals that are zero in most hours (imports, gas, unserved load)
        # get non-zero hours
        par[DISPATCH_INDEX["grid_import"]] = 1.0
        par[DISPATCH_INDEX["import_price_threshold_eur_per_mwh"]] = 60.0
        par[DISPATCH_INDEX["gas_backup_hydrogen_fuel"]] = 1.0
        par[DISPATCH_INDEX["gas_backup_marginal_cost_eur_per_mwh"]] = 0.0
        cap = cap.copy()
        cap[:, layout.names(layout.CAPACITIES).index("battery_mwh")] = 0.0
        cap[:, layout.names(layout.CAPACITIES).index("local_demand_mw")] = 150.0
    assert par[DISPATCH_INDEX["firm_mw"]] == 0.0  # rule 8 corrects totals after the hour
    assert par[DISPATCH_INDEX["rfnbo_monthly"]] == 0.0  # monthly matching adds after the pass
    run = run_year(arrays, 0, cap, par)  # type: ignore[arg-type]
    nonzero = set()
    for k, row in PLAIN_TOTALS:
        for s in range(cap.shape[0]):
            expected = _sequential_sum(run.out[:, s, row])
            assert run.sums[s, k] == expected, (layout.SITE_SUMS[k].name, s)
            if expected != 0.0:
                nonzero.add(layout.SITE_SUMS[k].name)
    # the case exercises the totals it is meant to
    wanted = {"wind_mwh", "hydrogen_output_mwh", "electrolysis_standby_mwh",
              "battery_charge_mwh", "pipeline_flow_mwh"}
    if variant == "grid_and_hydrogen_gas":
        wanted = {"grid_import_mwh", "gas_backup_mwh", "gas_backup_hydrogen_fuel_mwh",
                  "electrolysis_standby_mwh", "hydrogen_output_mwh"}
    assert wanted <= nonzero, wanted - nonzero
