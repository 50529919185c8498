"""Sweep options: hourly output per member, ``--optimise`` sizing per member, zip sweeps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from nzv_energy.scenario_file import load_scenario
from nzv_energy.schema import VARIABLES
from nzv_energy.sizing import optimise
from nzv_energy.sweep.command import execute
from nzv_energy.sweep.members import ZIP_DIM
from nzv_energy.system import build_inputs

from .sweep_helpers import SCENARIOS, write_sweep


def test_hourly_output_per_member(tmp_path: Path) -> None:
    content = {
        "parameters": {"sites.boxberg.electrolysis_mw": [60, 120]},
        "output": {"hourly": True},
    }
    out = tmp_path / "out"
    execute(write_sweep(tmp_path, content), out=out, serial=True, show_progress=False)
    kpis = xr.load_dataset(out / "kpis.nc")
    files = sorted((out / "hourly").glob("member_*.nc"))
    assert [f.name for f in files] == ["member_00000000.nc", "member_00000001.nc"]
    for m, f in enumerate(files):
        ds = xr.load_dataset(f)
        assert set(VARIABLES) <= set(ds.data_vars)
        assert ds.sizes["time"] == 8760
        el = [60, 120][m]
        # the hourly series add up to the member's KPIs
        row = kpis.sel(boxberg_electrolysis_mw=el, weather_year=2019)
        np.testing.assert_allclose(
            float(ds["hydrogen_delivered_mw"].sum()),
            float(row["hydrogen_delivered_mwh"]),
            rtol=1e-9,
        )
        np.testing.assert_allclose(
            float(ds["curtailment_mw"].sum()), float(row["curtailment_mwh"]), rtol=1e-9
        )
        assert int(ds.attrs["member"]) == m
        assert json.loads(ds.attrs["member_values"]) == {
            "sites.boxberg.electrolysis_mw": el,
            "weather_year": 2019,
        }


def test_zip_sweep_dataset(tmp_path: Path) -> None:
    content = {
        "combine": "zip",
        "parameters": {
            "sites.boxberg.wind_mw": [200, 400],
            "sites.boxberg.pv_mw": [300, 100],
        },
    }
    out = tmp_path / "out"
    execute(write_sweep(tmp_path, content), out=out, serial=True, show_progress=False)
    ds = xr.load_dataset(out / "kpis.nc")
    assert ds["system_net_cost_per_kg_h2_eur_per_kg"].dims == (ZIP_DIM, "weather_year")
    assert ds["boxberg_wind_mw"].values.tolist() == [200, 400]
    assert ds["boxberg_pv_mw"].values.tolist() == [300, 100]
    # the second member has more wind and less PV: its renewable generation differs
    gen = ds["renewable_generation_mwh"].values[:, 0]
    assert gen[0] != gen[1]


def test_optimise_sizes_each_member(tmp_path: Path) -> None:
    content = {
        "base": str(SCENARIOS / "single_site_sizing.yaml"),
        "overrides": {"optimisation": {"segment_hours": 24}},
        "parameters": {"economics.discount_rate": [0.05, 0.09]},
    }
    out = tmp_path / "out"
    execute(
        write_sweep(tmp_path, content), out=out, serial=True, optimise=True, show_progress=False
    )
    ds = xr.load_dataset(out / "kpis.nc")
    assert not ds["failed"].any()
    for rate in (0.05, 0.09):
        # the same sizing run directly on a scenario file with that discount rate
        path = tmp_path / f"s{rate}.yaml"
        path.write_text(
            f"extends: {SCENARIOS / 'single_site_sizing.yaml'}\n"
            f"economics: {{discount_rate: {rate}}}\n"
            "optimisation: {segment_hours: 24}\n",
            encoding="utf-8",
        )
        scenario = load_scenario(path)
        ref = optimise(scenario, build_inputs(scenario, path.parent))
        row = ds.sel(discount_rate=rate, weather_year=2019)
        for tech in ("wind_mw", "pv_mw", "electrolysis_mw"):
            sized = getattr(ref.scenario.sites["boxberg"], tech)
            assert float(row[f"sized_boxberg_{tech}"]) == sized
            assert sized == pytest.approx(ref.capacity("boxberg", tech), abs=1e-3)
        assert (
            float(row["sized_boxberg_hydrogen_storage_mwh"])
            == (ref.scenario.hydrogen.storage_mwh["boxberg"])
        )
        assert float(row["optimiser_lcoh_eur_per_kg"]) == pytest.approx(
            ref.system_net_cost_per_kg_h2_eur_per_kg, rel=1e-9
        )
        assert np.isfinite(float(row["system_net_cost_per_kg_h2_eur_per_kg"]))
    # dearer capital gives a dearer optimum
    lcoh = ds["optimiser_lcoh_eur_per_kg"].sel(weather_year=2019).values
    assert lcoh[1] > lcoh[0]
