"""``run.py optimise``: the results folder, its files and their round trips."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pypsa
import pytest
import xarray as xr

from nzv_energy.cli import main
from nzv_energy.scenario_file import load_scenario
from nzv_energy.schema import VARIABLES
from tests.conftest import ROOT, SCENARIOS

FILES = ("capacities.csv", "costs.csv", "kpis.csv", "scenario_sized.yaml", "dispatch.nc",
         "network.nc", "resimulation.csv", "hydrogen_price.csv", "sizing_steps.csv")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("results") / "single"
    status = main(["-q", "optimise", str(SCENARIOS / "single_site_sizing.yaml"), "--mode", "fast",
                   "--out", str(out)])
    return status, out


def test_writes_every_file(run):
    status, out = run
    assert status == 0
    for name in FILES:
        assert (out / name).stat().st_size > 0, name
    assert not list(out.parent.glob(".*tmp*"))  # no temporary folder left


def test_files_agree_with_each_other(run):
    _, out = run
    caps = pd.read_csv(out / "capacities.csv")
    value = caps.set_index(["site", "technology"])["value"]
    sized = load_scenario(out / "scenario_sized.yaml")
    assert sized.ranges() == {}
    assert sized.sites["boxberg"].electrolysis_mw == pytest.approx(
        value[("boxberg", "electrolysis_mw")], abs=1e-3)
    n = pypsa.Network(str(out / "network.nc"))
    assert n.generators.at["boxberg wind", "p_nom_opt"] == pytest.approx(
        value[("boxberg", "wind_mw")], rel=1e-9)
    assert n.links.at["boxberg electrolysis", "p_nom_opt"] == pytest.approx(
        value[("boxberg", "electrolysis_mw")], rel=1e-9)
    kpis = pd.read_csv(out / "kpis.csv").set_index("metric")["value"]
    costs = pd.read_csv(out / "costs.csv")
    counted = costs[costs.in_total].eur_per_year.sum()
    assert float(kpis["total_cost_eur_per_year"]) == pytest.approx(counted, rel=1e-12)
    assert float(kpis["total_cost_eur_per_year"]) == pytest.approx(
        float(kpis["objective_eur_per_year"]), rel=1e-9)
    assert float(kpis["lp_delivered_share"]) == pytest.approx(1.0)
    price = pd.read_csv(out / "hydrogen_price.csv", index_col=0, parse_dates=True)
    assert len(price) == 8760
    assert float(kpis["hydrogen_marginal_price_mean_eur_per_mwh"]) == pytest.approx(
        price["hydrogen_price_eur_per_mwh"].mean(), rel=1e-6)  # flat demand: plain mean
    resim = pd.read_csv(out / "resimulation.csv", index_col=0)
    assert list(resim.index) == ["2019", "P90", "mean"]
    assert 0.0 < resim.loc["2019", "demand_met_share"] <= 1.0
    assert float(kpis["resimulation_demand_met_share_p90"]) == pytest.approx(
        resim.loc["P90", "demand_met_share"])


def test_dispatch_nc_schema_and_provenance(run):
    _, out = run
    with xr.open_dataset(out / "dispatch.nc") as ds:
        ds.load()
    assert set(VARIABLES) <= set(ds.data_vars)
    for name, var in VARIABLES.items():
        assert ds[name].attrs["units"] == var.units
    assert ds.sizes["time"] == 8760
    for key in ("scenario_yaml", "scenario_sha256", "input_sha256", "package_versions",
                "lock_file_sha256", "command", "sizing_mode", "design_margin_fraction"):
        assert key in ds.attrs, key
    assert ds.attrs["sizing_mode"] == "fast"
    caps = json.loads(ds.attrs["capacities_json"])
    # the only site's pipeline carries the flat 40 MW demand plus the design margin the
    # hour-by-hour check asked for (sizing_steps.csv, last row)
    margin = float(pd.read_csv(out / "sizing_steps.csv")["margin_fraction"].iloc[-1])
    assert caps["boxberg.pipeline_mw"] == pytest.approx(40.0 * (1 + margin), rel=1e-6)
    np.testing.assert_allclose(ds.hydrogen_delivered_mw, ds.hydrogen_demand_mw, atol=1e-5)


def test_existing_folder_needs_force(run, capsys):
    _, out = run
    before = (out / "capacities.csv").read_text()
    status = main(["optimise", str(SCENARIOS / "single_site_sizing.yaml"), "--mode", "fast",
                   "--out", str(out)])
    assert status == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "capacities.csv").read_text() == before


def test_sized_scenario_keeps_its_relative_data_files(tmp_path):
    """A scenario reading its prices from a relative CSV: the sized copy in the results
    folder names the same file from there, so it loads and gives the same prices."""
    from nzv_energy.system import build_inputs

    study = tmp_path / "study"
    (study / "data").mkdir(parents=True)
    # the shipped day-ahead prices of the scenario's weather year (UTC hours of 2019)
    lines = (ROOT / "inputs" / "de_day_ahead_prices_2017_2020.csv").read_text().splitlines()
    (study / "data" / "prices.csv").write_text(
        "\n".join([lines[0], *(x for x in lines[1:] if x.startswith("2019-"))]) + "\n")
    scenario = study / "case.yaml"
    scenario.write_text(
        f"extends: {SCENARIOS / 'single_site_sizing.yaml'}\n"
        "economics:\n  electricity_price: data/prices.csv\n", encoding="utf-8")
    out = tmp_path / "elsewhere" / "results"
    assert main(["-q", "optimise", str(scenario), "--mode", "fast", "--out", str(out)]) == 0
    sized_file = out / "scenario_sized.yaml"
    sized = load_scenario(sized_file)
    source = sized.economics.electricity_price.source
    assert (out / source).resolve() == (study / "data" / "prices.csv").resolve()
    original = build_inputs(load_scenario(scenario), scenario_file=scenario)
    again = build_inputs(sized, scenario_file=sized_file)
    np.testing.assert_array_equal(again.price_eur_per_mwh, original.price_eur_per_mwh)
