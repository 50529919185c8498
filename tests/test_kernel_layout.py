"""The kernel layout tables: index constants, names, sources and units agree everywhere."""

from __future__ import annotations

import dataclasses
import operator
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nzv_energy.dispatch import parameters as dp
from nzv_energy.dispatch.simulate import SITE_OUTPUTS, STATE_NAMES, SYSTEM_OUTPUTS
from nzv_energy.kernels import dispatch as kd
from nzv_energy.kernels import layout
from nzv_energy.scenario_file import load_scenario
from nzv_energy.schema import SITE_VARIABLES, SYSTEM_VARIABLES
from nzv_energy.system import SiteCapacities
from tests.conftest import SCENARIOS

KERNELS = Path(layout.__file__).resolve().parent


def _kernel_constants() -> dict[str, object]:
    return {k: v for k, v in vars(kd).items() if k.isupper()}


def test_the_kernel_constants_match_the_tables() -> None:
    layout.check_indices(_kernel_constants())
    assert kd.P_RFNBO_CO2_PRICE_THRESHOLD_EUR_PER_MWH == dp.DISPATCH_INDEX[
        "rfnbo_co2_price_threshold_eur_per_mwh"]


@pytest.mark.parametrize(("change", "message"), [
    ({"P_CYCLIC": 22}, r"P_CYCLIC = 22, but 'cyclic' is entry 23"),
    ({"O_WIND_MW": 1, "O_PV_MW": 0}, r"O_WIND_MW = 1"),
    ({"N_SUM": 28}, r"N_SUM = 28, table has 29"),
    ({"K_NEW_TOTAL_MWH": 29}, r"\['K_NEW_TOTAL_MWH'\] are not in the K_\* table"),
])
def test_a_constant_out_of_step_is_named(change: dict[str, int], message: str) -> None:
    with pytest.raises(layout.LayoutError, match=message):
        layout.check_indices({**_kernel_constants(), **change})


def test_editing_an_index_breaks_the_import(tmp_path: Path) -> None:
    """The check runs when the kernel module is imported, not only in this test file."""
    copy = tmp_path / "kernels_copy"
    copy.mkdir()
    for path in KERNELS.glob("*.py"):
        shutil.copy(path, copy / path.name)
    source = (copy / "dispatch.py").read_text(encoding="utf-8")
    assert "P_CYCLIC = 23\n" in source
    (copy / "dispatch.py").write_text(source.replace("P_CYCLIC = 23\n", "P_CYCLIC = 22\n"),
                                      encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-c", "import kernels_copy.dispatch"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    assert run.returncode != 0
    assert "LayoutError: P_CYCLIC = 22, but 'cyclic' is entry 23" in run.stderr


def test_capacity_columns_are_the_fields_of_site_capacities() -> None:
    assert dp.CAPACITY_NAMES == tuple(f.name for f in dataclasses.fields(SiteCapacities))


def test_names_of_the_outputs_and_state_come_from_the_tables() -> None:
    assert list(SITE_OUTPUTS.values()) == list(layout.names(layout.SITE_OUTPUTS))
    assert list(SYSTEM_OUTPUTS.values()) == list(layout.names(layout.SYSTEM_OUTPUTS))
    assert list(STATE_NAMES.values()) == list(layout.names(layout.STATE))
    assert dp.DISPATCH_PARAMETER_NAMES == layout.names(layout.PARAMETERS)


def test_outputs_are_schema_variables_with_the_schema_units() -> None:
    for entry in layout.SITE_OUTPUTS:
        assert SITE_VARIABLES[entry.name].units == entry.unit, entry.name
    for entry in layout.SYSTEM_OUTPUTS:
        assert SYSTEM_VARIABLES[entry.name].units == entry.unit, entry.name
    # a total that sums an hourly variable has that variable's unit x h
    variables = {**SITE_VARIABLES, **SYSTEM_VARIABLES}
    for entry in (*layout.SITE_SUMS, *layout.SYSTEM_SUMS):
        if not entry.derived:
            assert entry.unit == variables[entry.source].units.replace("MW", "MWh", 1), entry


def test_every_source_is_a_scenario_field_or_a_derived_rule() -> None:
    scenario = load_scenario(SCENARIOS / "lausitz_2030_fixed.yaml")
    for entry in (*layout.PARAMETERS, *dp.COST_PARAMETERS):
        if not entry.derived:
            value = operator.attrgetter(entry.source)(scenario)
            assert isinstance(value, (int, float)), entry
    derived = {e.name for e in layout.PARAMETERS if e.derived}
    assert derived == set(dp._derived_parameters(scenario))


def test_parameter_bounds_are_what_the_scenario_allows() -> None:
    # the vector of every shipped scenario lies inside the table's bounds
    for path in sorted(SCENARIOS.glob("*.yaml")):
        dp.check_dispatch_parameters(dp.dispatch_parameter_vector(load_scenario(path)))
