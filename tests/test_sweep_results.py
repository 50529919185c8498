"""KPI dataset assembly, units from names, member scenarios, figures."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from nzv_energy.errors import ScenarioError
from nzv_energy.sweep import figures
from nzv_energy.sweep.apply import member_scenario, member_scenario_validated
from nzv_energy.sweep.members import DRAW_DIM, YEAR_DIM, expand_members
from nzv_energy.sweep.results import (
    CO2,
    DEMAND_MET,
    LCOH,
    assemble,
    units_from_name,
    write_dataset,
    write_failed_members,
)
from nzv_energy.sweep.spec import load_sweep

from .sweep_helpers import write_sweep

EL = "sites.boxberg.electrolysis_mw"
ST = "hydrogen.storage_mwh.boxberg"
RATE = "economics.discount_rate"


def test_units_from_names() -> None:
    cases = {
        "lcoh_eur_per_kg": "EUR/kg",
        "capex_eur_per_mw": "EUR/MW",
        "capex_eur_per_mw_km": "EUR/(MW km)",
        "vom_eur_per_mwh_h2": "EUR/MWh_H2",
        "fom_fraction_per_year": "1/a",
        "co2_cap_t_per_year": "t/a",
        "co2_emissions_t": "t",
        "boxberg_hydrogen_storage_mwh": "MWh",
        "electrolysis_full_load_hours_h": "h",
        "demand_met_share": "1",
        "discount_rate": "1",
        "lifetime_years": "a",
        "heat_served_mwh_th": "MWh_th",
        "levelised_cost_of_heat_eur_per_mwh_th": "EUR/MWh_th",
    }
    for name, units in cases.items():
        assert units_from_name(name) == units, name


@pytest.fixture
def grid(tmp_path: Path):
    content = {
        "weather_years": [2018, 2019],
        "parameters": {EL: [0, 100, 200], ST: [0, 500]},
    }
    spec = load_sweep(write_sweep(tmp_path, content))
    return spec, expand_members(spec)


def _synthetic(table) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """KPIs that encode each member's parameters, so misplaced values show."""
    el, st_ = table.values[EL], table.values[ST]
    year = table.weather_year.astype(float)
    lcoh = 10 + el / 100 + st_ / 1000 + (year - 2018) / 10
    share = np.minimum(1.0, el / 200)
    co2 = 1000 - el - st_ / 10
    errors = np.full(table.n_members, "", dtype=object)
    errors[3] = "sweep.yaml: sites.boxberg.battery_mwh: got 0; boom"
    lcoh[3] = np.nan
    return {LCOH: lcoh, DEMAND_MET: share, CO2: co2}, errors


def test_assemble_puts_each_member_at_its_coordinates(grid) -> None:
    _spec, table = grid
    kpis, errors = _synthetic(table)
    ds = assemble(table, kpis, errors, attrs={"title": "t"})
    assert ds[LCOH].dims == ("boxberg_electrolysis_mw", "boxberg_hydrogen_storage_mwh", YEAR_DIM)
    assert ds["boxberg_electrolysis_mw"].attrs["field_path"] == EL
    assert ds["boxberg_hydrogen_storage_mwh"].attrs["units"] == "MWh"
    assert ds[LCOH].attrs["units"] == "EUR/kg"
    for i in range(table.n_members):
        sel = {
            "boxberg_electrolysis_mw": table.values[EL][i],
            "boxberg_hydrogen_storage_mwh": table.values[ST][i],
            YEAR_DIM: table.weather_year[i],
        }
        got = float(ds[LCOH].sel(sel))
        np.testing.assert_equal(got, kpis[LCOH][i])
        assert bool(ds["failed"].sel(sel)) == (i == 3)


def test_pareto_flags_over_designs(grid) -> None:
    _spec, table = grid
    kpis, errors = _synthetic(table)
    errors[:] = ""
    kpis[LCOH] = 10 + table.values[EL] / 100 + table.values[ST] / 1000
    ds = assemble(table, kpis, errors)
    flags = ds["pareto_lcoh_demand_met"]
    assert YEAR_DIM not in flags.dims
    # share grows with electrolysis up to 200 MW, LCOH grows with both: every electrolysis
    # level without storage is on the front, nothing with storage is
    front = flags.sel(boxberg_hydrogen_storage_mwh=0).values
    assert front.tolist() == [True, True, True]
    assert not flags.sel(boxberg_hydrogen_storage_mwh=500).values.any()


def test_pure_monte_carlo_has_no_fronts(tmp_path: Path) -> None:
    content = {
        "monte_carlo": {
            "draws": 5,
            "seed": 1,
            "parameters": {RATE: {"distribution": "uniform", "low": 0.03, "high": 0.09}},
        }
    }
    table = expand_members(load_sweep(write_sweep(tmp_path, content)))
    kpis = {LCOH: np.arange(5.0), DEMAND_MET: np.ones(5), CO2: np.zeros(5)}
    ds = assemble(table, kpis, np.full(5, "", dtype=object))
    assert "pareto_lcoh_co2" not in ds
    assert ds["discount_rate"].dims == (DRAW_DIM,)
    assert figures.pareto_fronts(ds, tmp_path / "p.png") is None


def test_dataset_round_trip_and_failed_members_csv(grid, tmp_path: Path) -> None:
    _spec, table = grid
    kpis, errors = _synthetic(table)
    ds = assemble(table, kpis, errors)
    path = write_dataset(ds, tmp_path, "netcdf")
    back = xr.load_dataset(path)
    xr.testing.assert_identical(back[[LCOH, "failed"]], ds[[LCOH, "failed"]])
    n = write_failed_members(tmp_path / "failed.csv", table, errors)
    assert n == 1
    lines = (tmp_path / "failed.csv").read_text().splitlines()
    assert lines[0].split(",")[:4] == ["member", YEAR_DIM, EL, ST]
    d = table.describe(3)
    assert lines[1].startswith(f"3,{d[YEAR_DIM]},{d[EL]},{d[ST]},")
    assert "boom" in lines[1]


def _png_ok(path: Path) -> None:
    img = mpimg.imread(path)
    assert img.shape[0] > 200 and img.shape[1] > 200
    assert np.ptp(img[..., :3]) > 0.1  # not blank


def test_figures_of_a_grid(grid, tmp_path: Path) -> None:
    _spec, table = grid
    kpis, errors = _synthetic(table)
    ds = assemble(table, kpis, errors)
    made = figures.draw_all(ds, tmp_path / "figs")
    names = {p.name for p in made}
    assert names == {
        "heatmap_lcoh_demand_met.png",
        "tornado_lcoh.png",
        "lcoh_distribution.png",
        "pareto_fronts.png",
    }
    for p in made:
        _png_ok(p)
    kpis, errors = _synthetic(table)
    kpis[LCOH][3] = 10 + table.values[EL][3] / 100 + table.values[ST][3] / 1000
    errors[:] = ""
    rows = figures.sensitivities(assemble(table, kpis, errors))
    # LCOH rises by 2 EUR/kg from 0 to 200 MW and by 0.5 from 0 to 500 MWh: largest first
    labels = [r[0] for r in rows]
    assert labels[0].startswith("Boxberg electrolysis (MW): 0 .. 200")
    assert labels[1].startswith("Boxberg hydrogen storage (MWh): 0 .. 500")
    assert rows[0][2] - rows[0][1] == pytest.approx(2.0)
    assert rows[1][2] - rows[1][1] == pytest.approx(0.5)


def test_monte_carlo_sensitivities_separate_the_fields(tmp_path: Path) -> None:
    # LCOH depends on the discount rate only; the capex draws must get no swing even
    # though their tails carry the rate's variation by chance
    content = {
        "monte_carlo": {
            "draws": 400,
            "seed": 3,
            "parameters": {
                RATE: {"distribution": "uniform", "low": 0.03, "high": 0.09},
                "technology.wind.capex_eur_per_mw": {
                    "distribution": "uniform",
                    "low": 1.0e6,
                    "high": 1.5e6,
                },
            },
        }
    }
    table = expand_members(load_sweep(write_sweep(tmp_path, content)))
    lcoh = 10 + 100 * table.values[RATE]
    kpis = {LCOH: lcoh, DEMAND_MET: np.ones(400), CO2: np.zeros(400)}
    ds = assemble(table, kpis, np.full(400, "", dtype=object))
    rows = figures.sensitivities(ds)
    assert rows[0][0].startswith("Discount rate: P10 .. P90")
    p10, p90 = np.quantile(table.values[RATE], [0.1, 0.9])
    assert rows[0][1] == pytest.approx(10 + 100 * p10)
    assert rows[0][2] == pytest.approx(10 + 100 * p90)
    # the capex swing is zero up to the rounding of a least-squares fit on
    # standardised columns: a few hundred ulps of the LCOH values (not a fixed
    # absolute figure, which would hold on one machine's BLAS and not another's)
    rounding = 400 * np.finfo(np.float64).eps * np.sqrt(len(lcoh)) * np.abs(lcoh).max()
    assert abs(rows[1][2] - rows[1][1]) <= rounding
    # and far below the rate's real swing
    assert abs(rows[1][2] - rows[1][1]) < 1e-9 * abs(rows[0][2] - rows[0][1])
    _png_ok(figures.tornado(ds, tmp_path / "t.png"))


def test_heatmap_needs_two_swept_capacities(tmp_path: Path) -> None:
    content = {"parameters": {EL: [0, 100]}}
    table = expand_members(load_sweep(write_sweep(tmp_path, content)))
    kpis = {LCOH: np.array([1.0, 2.0]), DEMAND_MET: np.array([0.5, 1.0])}
    ds = assemble(table, kpis, np.full(2, "", dtype=object))
    assert figures.heatmaps(ds, tmp_path / "h.png") is None
    _png_ok(figures.tornado(ds, tmp_path / "t.png"))


# --------------------------------------------------------------------------- member scenarios

BATTERY_MW = "sites.boxberg.battery_mw"
BATTERY_MWH = "sites.boxberg.battery_mwh"
KNEE = "technology.electrolysis.part_load_point_fraction"
MIN_LOAD = "technology.electrolysis.min_load_fraction"


@pytest.fixture(scope="module")
def apply_spec(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("apply")
    content = {
        "parameters": {
            EL: [0.0, 150.0],
            BATTERY_MW: [0.0, 50.0],
            BATTERY_MWH: [0.0, 200.0],
            KNEE: [0.05, 0.2],
            MIN_LOAD: [0.1, 0.3],
            RATE: [0.0, 0.07],
            "operation.gas_backup_fuel": ["natural_gas", "hydrogen"],
            "optimisation.co2_cap_t_per_year": [None, 1000.0],
        }
    }
    spec = load_sweep(write_sweep(folder, content))
    return spec, expand_members(spec)


@settings(max_examples=60, deadline=None)
@given(member=st.integers(0, 2**8 - 1))
def test_fast_member_scenario_equals_validated_one(apply_spec, member: int) -> None:
    spec, table = apply_spec
    fields = {f.path: f for f in table.fields}
    values = table.batch(member, member + 1).member_values(0)
    try:
        fast = member_scenario(spec.base, fields, values, spec.file)
    except ScenarioError as err:
        with pytest.raises(ScenarioError) as ref:
            member_scenario_validated(spec.base_raw, fields, values, spec.file)
        assert err.field == ref.value.field
        return
    assert fast == member_scenario_validated(spec.base_raw, fields, values, spec.file)
    assert fast.sites["boxberg"].electrolysis_mw == values[EL]
    assert fast.optimisation.co2_cap_t_per_year == (
        None if np.isnan(values["optimisation.co2_cap_t_per_year"]) else 1000.0
    )


def test_base_scenario_unchanged_by_members(apply_spec) -> None:
    spec, table = apply_spec
    before = spec.base.model_dump()
    fields = {f.path: f for f in table.fields}
    for m in range(table.n_members):
        try:
            member_scenario(spec.base, fields, table.batch(m, m + 1).member_values(0))
        except ScenarioError:
            pass
    assert spec.base.model_dump() == before
    assert spec.base.sites["boxberg"].electrolysis_mw == 100  # single_site_quick.yaml


# --------------------------------------------------------------------------- readable heatmaps


def _delta_e(a, b) -> float:
    """CIE76 distance of two RGB(A) colours (sRGB -> CIELAB, D65)."""

    def lab(c) -> np.ndarray:
        rgb = np.asarray(c[:3], dtype=float)
        lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                      [0.0193, 0.1192, 0.9505]])
        xyz = m @ lin / np.array([0.95047, 1.0, 1.08883])
        f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
        return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])

    return float(np.linalg.norm(lab(a) - lab(b)))


def test_heatmap_tells_99_from_100_percent_and_names_fields(tmp_path: Path) -> None:
    """Shares 0.3 .. 1 with 0.99 and 1 present: both in the colour scale, visibly different."""
    content = {"weather_years": [2019], "parameters": {EL: [0, 100, 200, 300], ST: [0, 500]}}
    table = expand_members(load_sweep(write_sweep(tmp_path, content)))
    share = np.select(
        [table.values[EL] == 0, table.values[EL] == 100, table.values[EL] == 200],
        [0.3, 0.99, 0.999], 1.0,
    )
    kpis = {LCOH: 10 + table.values[EL] / 100, DEMAND_MET: share, CO2: np.zeros(len(share))}
    ds = assemble(table, kpis, np.full(len(share), "", dtype=object))
    fig = figures.heatmaps_figure(ds)
    assert fig is not None
    share_ax = next(ax for ax in fig.axes if ax.get_title().startswith("Share of hydrogen"))
    (mesh,) = share_ax.collections
    norm, cmap = mesh.norm, mesh.get_cmap()
    assert norm.vmin <= 0.3 and norm.vmax >= 1.0  # the scale spans the data
    colours = {s: cmap(norm(s)) for s in (0.3, 0.99, 0.999, 1.0)}
    assert _delta_e(colours[0.99], colours[1.0]) >= 10.0
    assert _delta_e(colours[0.999], colours[1.0]) >= 10.0
    assert _delta_e(colours[0.99], colours[0.999]) >= 10.0
    for ax in fig.axes[:2]:  # the two maps (the colour bars come after them)
        for label in (ax.get_xlabel(), ax.get_ylabel()):
            assert "." not in label and "_" not in label, label
    assert share_ax.get_xlabel() == "Boxberg electrolysis (MW)"
    assert share_ax.get_ylabel() == "Boxberg hydrogen storage (MWh)"
    # the tick labels of the colour bar include 99 % and 100 %
    bar_ax = next(ax for ax in fig.axes if ax.get_ylabel().startswith("Share of hydrogen"))
    ticks = [t.get_text() for t in bar_ax.get_yticklabels()]
    assert "99 %" in ticks and "100 %" in ticks


def test_field_labels() -> None:
    names = {"jaenschwalde": "Jänschwalde"}
    cases = {
        ("sites.jaenschwalde.pv_mw", "MW"): "Jänschwalde PV (MW)",
        ("sites.schwarze_pumpe.battery_mwh", "MWh"): "Schwarze Pumpe battery (MWh)",
        ("hydrogen.storage_mwh.boxberg", "MWh"): "Boxberg hydrogen storage (MWh)",
        ("technology.electrolysis.capex_eur_per_kw", "EUR/kW"): "Electrolysis capex (EUR/kW)",
        (RATE, "1"): "Discount rate",
    }
    for (path, units), expected in cases.items():
        assert figures.field_label(path, units, names) == expected
