"""The firm commitment checked in the sizing's re-simulation (``security.hours_short_max``).

Independent reasons behind the expectations:

* a natural-gas backup whose rating, less the site's local demand and the electrolyser's
  largest standby draw (1 % of the upper end of its range), exceeds the commitment covers
  it in every hour whatever the weather: the rules then miss it in no hour;
* the hours short are recounted from the hourly net export of the re-simulation (grid
  export minus grid import, summed over sites) against the commitment, not from the
  kernel's shortfall output;
* the check passes with ``hours_short_max`` equal to the recounted hours and fails one
  hour below it.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nzv_energy.errors import EXIT_INFEASIBLE, ModelInfeasibleError
from nzv_energy.report.report import ReportContent, firm_commitment_lines
from nzv_energy.scenario_file import load_scenario
from nzv_energy.sizing import optimise, size_and_verify
from nzv_energy.sizing.resimulate import resimulate
from nzv_energy.sizing.testing import for_scenario, scenario_with, sliced_inputs
from nzv_energy.system import build_inputs
from tests.conftest import SCENARIOS, lp_tol

HOURS = 24 * 14  # two weeks of March 2019
#: single_site_sizing.yaml: gas backup 20 MW, local demand 5 MW, electrolysis up to
#: 1,000 MW at a standby of 1 %: 20 - 5 - 10 = 5 MW of gas always free for the grid.
FIRM_GAS_COVERS_MW = 4.0
#: Beyond the gas backup and the battery (20 + 50 MW less the local demand): the rules,
#: serving the hydrogen first, miss it in calm hours; the LP holds it with foresight.
FIRM_RULES_MISS_MW = 60.0


@pytest.fixture(scope="module")
def base():
    scenario = load_scenario(SCENARIOS / "single_site_sizing.yaml")
    return scenario, sliced_inputs(build_inputs(scenario), HOURS, start=24 * 60)


def _case(base, firm_mw: float, hours_short_max: int = 0):
    scenario, inputs = base
    sc = scenario_with(scenario, {
        "security": {"firm_mw": firm_mw, "hours_short_max": hours_short_max},
        "optimisation": {"mode": "exact", "demand_margin_fraction": 0.0,
                         "resimulation_target_share": None},
    })
    return sc, for_scenario(inputs, sc)


def _net_export(ds) -> np.ndarray:
    return (ds["grid_export_mw"] - ds["grid_import_mw"]).sum("site").to_numpy()


def test_gas_backup_above_the_commitment_passes_and_reports_zero_hours(base, caplog):
    sc, inputs = _case(base, FIRM_GAS_COVERS_MW)
    site = sc.sites["boxberg"]
    standby_max = 0.01 * 1000.0  # the electrolysis range's upper end (scenario file)
    assert site.gas_backup_mw - site.local_demand_mw - standby_max > FIRM_GAS_COVERS_MW
    with caplog.at_level(logging.INFO, logger="nzv_energy.sizing.verify"):
        verified = size_and_verify(sc, inputs, mode="exact")
    net = _net_export(verified.dispatch)
    assert net.min() >= FIRM_GAS_COVERS_MW - 1e-9  # recounted from the flows
    table = verified.resimulation
    for row in ("2019", "P90", "mean"):
        assert table.loc[row, "firm_hours_short_h"] == 0.0
        assert table.loc[row, "firm_energy_short_mwh"] == 0.0
    kpis = verified.result.kpis
    assert kpis["firm_hours_short_rules_h_2019"] == 0.0
    # the LP's energy to the grid holds the commitment in every hour of the slice
    assert kpis["firm_lp_grid_export_mwh_per_year"] >= FIRM_GAS_COVERS_MW * HOURS - lp_tol(
        FIRM_GAS_COVERS_MW, HOURS)
    assert 0.0 <= kpis["firm_lp_gas_to_grid_mwh_per_year"] <= FIRM_GAS_COVERS_MW * HOURS + lp_tol(
        FIRM_GAS_COVERS_MW, HOURS)
    assert "re-simulation 2019: firm commitment of 4 MW missed in 0 hours" in caplog.text


@pytest.fixture(scope="module")
def missed(base):
    """The 60 MW case: the LP sizing and the hours short recounted from its re-simulation."""
    sc, inputs = _case(base, FIRM_RULES_MISS_MW)
    result = optimise(sc, inputs, mode="exact")
    _, ds = resimulate(result.scenario, inputs)
    short = np.maximum(FIRM_RULES_MISS_MW - _net_export(ds), 0.0)
    short[short <= 1e-6 * FIRM_RULES_MISS_MW] = 0.0
    return result, ds, short


def test_lp_holds_it_and_the_rules_miss_it(missed):
    result, _, short = missed
    assert _net_export(result.dataset).min() >= FIRM_RULES_MISS_MW - lp_tol(FIRM_RULES_MISS_MW, 3)
    assert (short > 0).sum() > 0


def test_hours_short_beyond_the_allowed_exit_with_the_year_hours_and_worst_hour(base, missed):
    _, ds, short = missed
    hours = int((short > 0).sum())
    sc, inputs = _case(base, FIRM_RULES_MISS_MW, hours_short_max=hours - 1)
    with pytest.raises(ModelInfeasibleError) as info:
        size_and_verify(sc, inputs, mode="exact")
    text = str(info.value)
    worst = pd.DatetimeIndex(ds["time"].values)[int(np.argmax(short))]
    for words in (f"weather year 2019: {hours:,} hours short",
                  f"({short.sum():,.0f} MWh short)",
                  f"{worst:%Y-%m-%d %H:%M} ({short.max():,.1f} MW short)",
                  f"security.hours_short_max = {hours - 1}",
                  "perfect foresight", "security.firm_mw", "sites.*.gas_backup_mw",
                  "sites.*.grid_connection_mw"):
        assert words in text
    # the same sizing with the recounted hours allowed is accepted
    sc, inputs = _case(base, FIRM_RULES_MISS_MW, hours_short_max=hours)
    verified = size_and_verify(sc, inputs, mode="exact")
    assert verified.resimulation.loc["2019", "firm_hours_short_h"] == hours
    assert verified.resimulation.loc["2019", "firm_energy_short_mwh"] == pytest.approx(
        short.sum(), rel=1e-9)


def _cli(tmp_path: Path, firm_mw: float) -> tuple[subprocess.CompletedProcess[str], Path]:
    scenario = tmp_path / "firm.yaml"
    scenario.write_text(
        f"extends: {SCENARIOS / 'single_site_sizing.yaml'}\n"
        "name: firm_rules\n"
        f"security: {{firm_mw: {firm_mw}, hours_short_max: 0}}\n"
        "optimisation: {mode: fast, segment_hours: 24, fast_mode_error_estimate: none,\n"
        "  resimulation_target_share: null}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "run.py", "-q", "optimise", str(scenario), "--out", str(out)],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent, check=False,
    )
    return proc, out


def test_cli_exits_3_when_the_rules_miss_the_commitment(tmp_path: Path) -> None:
    proc, out = _cli(tmp_path, FIRM_RULES_MISS_MW)
    assert proc.returncode == EXIT_INFEASIBLE, proc.stderr
    assert "Traceback" not in proc.stderr
    for words in ("firm commitment of 60 MW", "weather year 2019", "hours short",
                  "the worst hours 2019-", "perfect foresight", "security.hours_short_max = 0",
                  "65 MW"):  # gas backup to cover it alone: 60 MW + 5 MW local demand
        assert words in proc.stderr
    assert not out.exists()


def test_cli_writes_the_rules_hours_short_when_met(tmp_path: Path) -> None:
    proc, out = _cli(tmp_path, FIRM_GAS_COVERS_MW)
    assert proc.returncode == 0, proc.stderr
    resim = pd.read_csv(out / "resimulation.csv", index_col=0)
    assert resim.loc["2019", "firm_hours_short_h"] == 0.0
    assert resim.loc["2019", "firm_energy_short_mwh"] == 0.0
    kpis = pd.read_csv(out / "kpis.csv").set_index("metric")["value"]
    assert float(kpis["firm_hours_short_rules_h_2019"]) == 0.0
    assert float(kpis["firm_commitment_mw"]) == FIRM_GAS_COVERS_MW


def _content(scenario, lp_kpis: dict[str, float]) -> ReportContent:
    empty = pd.DataFrame()
    return ReportContent(scenario, "x.yaml", "0" * 64, empty, empty, empty, [], True,
                         lp_summary={"lp_kpis": lp_kpis})


def test_report_section_only_with_a_commitment(base):
    scenario, _ = base
    assert firm_commitment_lines(_content(scenario, {})) == []
    sc = scenario_with(scenario, {"security": {"firm_mw": 60}})
    lp = {"firm_marginal_cost_eur_per_mw_year": 43_000.0,
          "firm_marginal_cost_eur_per_kg_per_mw": 0.1,
          "firm_lp_grid_export_mwh_per_year": 1000.0, "firm_lp_gas_to_grid_mwh_per_year": 300.0,
          "firm_lp_grid_import_mwh_per_year": 0.0,
          "firm_hours_short_rules_h_2019": 12.0, "firm_energy_short_rules_mwh_2019": 250.0}
    text = "\n".join(firm_commitment_lines(_content(sc, lp)))
    assert "## Firm commitment" in text and "60 MW" in text and "43,000 EUR/a" in text
    assert "of which 300 MWh from the gas backup and 700 MWh from renewables" in text
    assert "2019: 12 h (250 MWh)" in text
