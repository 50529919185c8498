"""Tests of nzv_energy.report.figures on results built from the shipped inputs.

The results are a simple, balance-consistent split of real wind/PV profiles
(renewables -> local demand -> electrolysis -> export -> curtailment, a
hydrogen store that smooths the flat demand); the figures do not judge the
dispatch, only draw it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from nzv_energy.carriers import CARRIERS, MIN_COLOUR_DISTANCE, carrier_table
from nzv_energy.dispatch.kpis import LCOH_COMPONENTS as KPI_LCOH_COMPONENTS
from nzv_energy.report.figures import (
    _THOUSANDS,
    DPI,
    DURATION_POINTS,
    FIGURE_SIZES_IN,
    SINKS,
    SOURCES,
    build_comparison_figures,
    build_figures,
    draw_all,
    draw_comparison,
    duration_curve,
    hydrogen_storage_figure,
    lcoh_breakdown_figure,
    monthly_balance,
    save_figures,
    site_names,
    weather_year_kpis_figure,
    week_slice,
)
from nzv_energy.scenario_file import load_scenario, scenario_to_yaml
from nzv_energy.schema import make_dataset
from nzv_energy.system import SystemInputs, build_inputs, fixed_capacities
from nzv_energy.vpp import figures as vpp_figures

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

EXPECTED_STEMS = {
    "dispatch_winter_boxberg",
    "dispatch_summer_boxberg",
    "hydrogen_storage",
    "duration_curves",
    "capacities",
    "lcoh_breakdown",
    "monthly_energy_balance",
    "weather_year_kpis",
}

# Hand-picked LCOH components, EUR/kg: positives 2.0 + 1.0 + 1.5 = 4.5, revenue -0.5.
LCOH = pd.Series(
    {"wind": 2.0, "pv": 1.0, "electrolysis": 1.5, "battery": 0.0, "grid_export_revenue": -0.5}
)


def toy_results(inputs: SystemInputs, pv_factor: float = 1.0) -> tuple[xr.Dataset, pd.DataFrame]:
    """Balance-consistent hourly results from the real profiles, and the capacities used."""
    scenario = inputs.scenario
    caps = fixed_capacities(scenario)
    sites = list(inputs.site_names)
    eff = scenario.technology.electrolysis.efficiency
    n_t, n_s = len(inputs.time), len(sites)
    demand = inputs.hydrogen_demand_mw
    share = 1.0 / n_s  # each site serves an equal share of the demand
    out = {k: np.zeros((n_t, n_s)) for k in (
        "wind_mw", "pv_mw", "local_demand_mw", "grid_import_mw", "electrolysis_input_mw",
        "grid_export_mw", "curtailment_mw", "hydrogen_output_mw", "pipeline_flow_mw",
        "hydrogen_storage_charge_mw", "hydrogen_storage_discharge_mw", "hydrogen_storage_mwh",
    )}
    for j, site in enumerate(sites):
        cap = caps[site]
        wind = cap.wind_mw * inputs.wind_cf[j]
        pv = cap.pv_mw * pv_factor * inputs.pv_cf[j]
        renewables = wind + pv
        local = np.full(n_t, cap.local_demand_mw)
        grid_import = np.maximum(local - renewables, 0.0)
        available = renewables + grid_import - local
        electrolysis = np.minimum(available, cap.electrolysis_mw)
        # hydrogen store: charge surplus, discharge shortfall; cut electrolysis when full
        level, store = 0.5 * cap.hydrogen_storage_mwh, cap.hydrogen_storage_mwh
        flow = np.zeros(n_t)
        charge = np.zeros(n_t)
        discharge = np.zeros(n_t)
        levels = np.zeros(n_t)
        for t in range(n_t):
            want = demand[t] * share
            h2 = electrolysis[t] * eff
            if h2 >= want:
                charge[t] = min(h2 - want, store - level)
                electrolysis[t] = (want + charge[t]) / eff
            else:
                discharge[t] = min(want - h2, level)
            level += charge[t] - discharge[t]
            flow[t] = electrolysis[t] * eff + discharge[t] - charge[t]
            levels[t] = level
        rest = available - electrolysis
        export = np.minimum(rest, scenario.sites[site].grid_connection_mw)
        for name, values in (
            ("wind_mw", wind), ("pv_mw", pv), ("local_demand_mw", local),
            ("grid_import_mw", grid_import), ("electrolysis_input_mw", electrolysis),
            ("grid_export_mw", export), ("curtailment_mw", rest - export),
            ("hydrogen_output_mw", electrolysis * eff), ("pipeline_flow_mw", flow),
            ("hydrogen_storage_charge_mw", charge), ("hydrogen_storage_discharge_mw", discharge),
            ("hydrogen_storage_mwh", levels),
        ):
            out[name][:, j] = values
    delivered = out["pipeline_flow_mw"].sum(axis=1)
    data = {
        **out,
        "hydrogen_demand_mw": demand,
        "hydrogen_delivered_mw": delivered,
        "unserved_hydrogen_mw": demand - delivered,
        "price_eur_per_mwh": inputs.price_eur_per_mwh,
    }
    ds = make_dataset(inputs.time.to_numpy(), sites, data, {"scenario": scenario.name})
    capacities = pd.DataFrame(
        {
            site: {
                "wind_mw": c.wind_mw, "pv_mw": c.pv_mw * pv_factor, "battery_mw": c.battery_mw,
                "battery_mwh": c.battery_mwh, "electrolysis_mw": c.electrolysis_mw,
                "gas_backup_mw": c.gas_backup_mw, "pipeline_mw": c.pipeline_mw,
                "hydrogen_storage_mwh": c.hydrogen_storage_mwh,
            }
            for site, c in caps.items()
        }
    ).T
    capacities.index.name = "site"
    return ds, capacities


def kpis_of(ds: xr.Dataset) -> pd.DataFrame:
    year = ds["time"].dt.year
    delivered = ds["hydrogen_delivered_mw"].groupby(year).sum().to_pandas()
    demand = ds["hydrogen_demand_mw"].groupby(year).sum().to_pandas()
    kpis = pd.DataFrame(
        {"hydrogen_delivered_mwh": delivered, "demand_met_share": delivered / demand,
         "lcoh_eur_per_kg": 4.0, "co2_t": 1234.0}
    )
    kpis.index.name = "weather_year"
    return kpis


@pytest.fixture(scope="module")
def quick_inputs() -> SystemInputs:
    return build_inputs(load_scenario(SCENARIOS / "single_site_quick.yaml"), base_dir=SCENARIOS)


@pytest.fixture(scope="module")
def quick(quick_inputs: SystemInputs) -> tuple[xr.Dataset, pd.DataFrame]:
    return toy_results(quick_inputs)


@pytest.fixture(scope="module")
def quick_figures(quick: tuple[xr.Dataset, pd.DataFrame]) -> dict:
    ds, caps = quick
    return build_figures(ds, kpis_of(ds), caps, LCOH)


@pytest.fixture(scope="module")
def drawn(quick: tuple[xr.Dataset, pd.DataFrame], tmp_path_factory) -> tuple[Path, list[Path]]:
    ds, caps = quick
    out = tmp_path_factory.mktemp("fig") / "figures"
    return out, draw_all(ds, kpis_of(ds), caps, LCOH, out)


def test_toy_results_balance(quick: tuple[xr.Dataset, pd.DataFrame]) -> None:
    """The test data obey the schema balances, so the figures draw a consistent system."""
    ds, _ = quick
    supply = ds.wind_mw + ds.pv_mw + ds.battery_discharge_mw + ds.grid_import_mw + ds.gas_backup_mw
    use = (ds.electrolysis_input_mw + ds.battery_charge_mw + ds.grid_export_mw
           + ds.curtailment_mw + ds.local_demand_mw)
    np.testing.assert_allclose(supply, use, atol=1e-9)
    np.testing.assert_allclose(
        ds.hydrogen_delivered_mw + ds.unserved_hydrogen_mw, ds.hydrogen_demand_mw, atol=1e-9
    )
    assert float(ds.curtailment_mw.min()) >= -1e-9


def test_draw_all_writes_every_figure(drawn: tuple[Path, list[Path]]) -> None:
    out, written = drawn
    expected = {out / f"{stem}.{fmt}" for stem in EXPECTED_STEMS for fmt in ("png", "svg")}
    assert set(written) == expected
    assert set(out.iterdir()) == expected
    for path in written:
        assert path.stat().st_size > 1000, path
    for path in out.glob("*.svg"):
        assert path.read_text(encoding="utf-8").lstrip().startswith("<?xml"), path


def test_pngs_decode_at_declared_size(drawn: tuple[Path, list[Path]]) -> None:
    out, _ = drawn
    for path in out.glob("*.png"):
        stem = "dispatch" if path.stem.startswith("dispatch_") else path.stem
        width_in, height_in = FIGURE_SIZES_IN[stem]
        image = mpimg.imread(path)
        assert image.shape[:2] == (round(height_in * DPI), round(width_in * DPI)), path
        assert image[..., :3].std() > 0.05, f"{path} looks blank"


def test_same_data_gives_identical_files(
    quick: tuple[xr.Dataset, pd.DataFrame], drawn: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    """Every SVG (ids salted, no date) and the PNGs (no software tag) repeat byte for byte."""
    ds, caps = quick
    first, _ = drawn
    again = draw_all(ds, kpis_of(ds), caps, LCOH, tmp_path, formats=("svg",))
    figures = build_figures(ds, kpis_of(ds), caps, LCOH)
    again += save_figures(
        {s: figures[s] for s in ("dispatch_winter_boxberg", "lcoh_breakdown")}, tmp_path, ("png",)
    )
    assert len(again) == len(EXPECTED_STEMS) + 2
    for path in again:
        assert path.read_bytes() == (first / path.name).read_bytes(), path.name


def test_figures_follow_the_data(
    quick_inputs: SystemInputs, drawn: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    """Doubling PV changes the figures that show PV and leaves the LCOH bar alone."""
    ds, caps = toy_results(quick_inputs, pv_factor=2.0)
    first, _ = drawn
    changed = ("dispatch_summer_boxberg", "capacities", "monthly_energy_balance", "duration_curves")
    figures = build_figures(ds, kpis_of(ds), caps, LCOH)
    save_figures({s: figures[s] for s in (*changed, "lcoh_breakdown")}, tmp_path, ("svg",))
    for stem in changed:
        name = f"{stem}.svg"
        assert (tmp_path / name).read_bytes() != (first / name).read_bytes(), name
    assert (tmp_path / "lcoh_breakdown.svg").read_bytes() == (
        first / "lcoh_breakdown.svg"
    ).read_bytes()


def test_axes_are_labelled_with_units(quick_figures: dict) -> None:
    figs = quick_figures
    dispatch = figs["dispatch_winter_boxberg"].axes
    assert "(MW)" in dispatch[0].get_ylabel()
    assert "(EUR/MWh)" in dispatch[1].get_ylabel()
    assert "(MWh_H2)" in figs["hydrogen_storage"].axes[0].get_ylabel()
    residual, load = figs["duration_curves"].axes
    assert "(MW)" in residual.get_ylabel()
    assert "(h/a)" in residual.get_xlabel()
    assert "%" in load.get_ylabel()
    mw_panel, mwh_panel = figs["capacities"].axes
    assert "(MW)" in mw_panel.get_ylabel()
    assert "(MWh)" in mwh_panel.get_ylabel()
    assert "(EUR/kg H2)" in figs["lcoh_breakdown"].axes[0].get_ylabel()
    assert "(GWh)" in figs["monthly_energy_balance"].axes[0].get_ylabel()
    kpi_axes = [ax for ax in figs["weather_year_kpis"].axes if ax.get_visible()]
    assert [(ax.get_title(), ax.get_ylabel()) for ax in kpi_axes] == [
        ("Hydrogen delivered", "(GWh_H2)"), ("Hydrogen demand met", "(%)"),
        ("LCOH", "(EUR/kg)"), ("CO2 emissions", "(kt CO2)"),
    ]
    for stem, fig in figs.items():
        visible = [ax for ax in fig.axes if ax.get_visible()]
        assert all(ax.get_ylabel() for ax in visible), (stem, "y label")
        assert fig.get_suptitle() or all(ax.get_title() for ax in visible[:1]), (stem, "title")
        has_legend = bool(fig.legends) or any(ax.get_legend() for ax in fig.axes)
        assert has_legend or stem == "weather_year_kpis", (stem, "legend")


def test_dispatch_week_stacks_to_the_data(
    quick: tuple[xr.Dataset, pd.DataFrame], quick_figures: dict
) -> None:
    """The supply stack's top edge equals wind + PV + import of the hours shown (15-21 Jan)."""
    ds, _ = quick
    ax = quick_figures["dispatch_winter_boxberg"].axes[0]
    week = ds.sel(time=slice("2019-01-15", "2019-01-21 23:00"), site="boxberg")
    assert week.sizes["time"] == 168
    top = (week.wind_mw + week.pv_mw + week.grid_import_mw).values
    bottom = -(week.local_demand_mw + week.electrolysis_input_mw + week.grid_export_mw
               + week.curtailment_mw).values
    y_max = max(c.get_paths()[0].vertices[:, 1].max() for c in ax.collections)
    y_min = min(c.get_paths()[0].vertices[:, 1].min() for c in ax.collections)
    assert y_max == pytest.approx(top.max())
    assert y_min == pytest.approx(bottom.min())


def test_week_slice_positions() -> None:
    year = pd.date_range("2019-01-01", "2019-12-31 23:00", freq="h")
    window = week_slice(year, 2019, 1)
    assert year[window][0] == pd.Timestamp("2019-01-15")
    assert len(year[window]) == 168
    # data ending on 18 January: the window moves back to end with the data
    short = year[year < pd.Timestamp("2019-01-18 12:00")]
    window = week_slice(short, 2019, 1)
    assert short[window][-1] == pd.Timestamp("2019-01-18 11:00")
    assert len(short[window]) == 168
    # only three days of January: all of them
    tiny = year[:72]
    assert len(tiny[week_slice(tiny, 2019, 1)]) == 72
    assert week_slice(tiny, 2019, 7) is None


def test_monthly_balance_matches_inputs(
    quick_inputs: SystemInputs, quick: tuple[xr.Dataset, pd.DataFrame]
) -> None:
    ds, _ = quick
    balance = monthly_balance(ds)
    assert len(balance) == 12
    np.testing.assert_allclose(balance.sum(axis=1), 0.0, atol=1e-6)  # sources = sinks
    january = quick_inputs.time.month == 1
    wind_gwh = 300.0 * quick_inputs.wind_cf[0, january].sum() / 1e3  # 300 MW in the scenario
    assert balance["Wind"].iloc[0] == pytest.approx(wind_gwh)
    assert (balance["Electrolysis"] <= 0).all()


def test_duration_curves_are_sorted_load_factors(
    quick: tuple[xr.Dataset, pd.DataFrame], quick_figures: dict
) -> None:
    ds, _ = quick
    residual_ax, load_ax = quick_figures["duration_curves"].axes
    residual = residual_ax.lines[0].get_ydata()
    assert np.all(np.diff(residual) <= 0)
    expected = (ds.local_demand_mw + ds.electrolysis_input_mw - ds.wind_mw - ds.pv_mw).sum("site")
    assert residual[0] == pytest.approx(float(expected.max()))
    load = load_ax.lines[0].get_ydata()
    assert np.all(np.diff(load) <= 0)
    # 100 MW electrolyser in the scenario: load in % equals the input in MW
    assert load[0] == pytest.approx(float(ds.electrolysis_input_mw.max()))
    assert load[0] <= 100.0 + 1e-9
    assert residual_ax.lines[0].get_xdata()[-1] == pytest.approx(8760)


def test_duration_curve_by_hand() -> None:
    hours, values = duration_curve(np.array([1.0, 5.0, 3.0, 2.0]), n_years=1)
    np.testing.assert_array_equal(hours, [1, 2, 3, 4])
    np.testing.assert_array_equal(values, [5, 3, 2, 1])
    hours, _ = duration_curve(np.array([1.0, 5.0, 3.0, 2.0]), n_years=2)
    np.testing.assert_array_equal(hours, [0.5, 1, 1.5, 2])
    # thinned: at most DURATION_POINTS, still descending, extremes and last hour kept
    values = np.random.default_rng(1).normal(size=3 * 8760)
    hours, curve = duration_curve(values, n_years=3)
    assert len(curve) <= DURATION_POINTS
    assert np.all(np.diff(curve) <= 0)
    assert (curve[0], curve[-1]) == (values.max(), values.min())
    assert (hours[0], hours[-1]) == (1 / 3, 8760)


def test_lcoh_breakdown_geometry() -> None:
    """Positive components stack to 4.5 EUR/kg, revenue reaches -0.5, total marked at 4.0."""
    ax = lcoh_breakdown_figure(LCOH).axes[0]
    tops = [p.get_y() + max(p.get_height(), 0.0) for p in ax.patches]
    bottoms = [p.get_y() + min(p.get_height(), 0.0) for p in ax.patches]
    assert max(tops) == pytest.approx(4.5)
    assert min(bottoms) == pytest.approx(-0.5)
    assert ax.collections[0].get_offsets()[0][1] == pytest.approx(4.0)
    assert any(t.get_text() == "4.00 EUR/kg" for t in ax.texts)
    labels = ax.get_figure().legends[0].get_texts()
    assert "Battery" not in {t.get_text() for t in labels}  # zero components are left out


def test_lcoh_breakdown_one_bar_per_year() -> None:
    frame = pd.DataFrame({2018: LCOH, 2019: LCOH * 2})
    ax = lcoh_breakdown_figure(frame).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2018", "2019"]
    totals = ax.collections[0].get_offsets()[:, 1]
    np.testing.assert_allclose(totals, [4.0, 8.0])


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.floats(-3.0, 10.0, allow_nan=False).filter(lambda v: abs(v) > 1e-6),
        min_size=1, max_size=8,
    )
)
def test_lcoh_total_is_sum_of_components(values: list[float]) -> None:
    series = pd.Series(values, index=[f"component_{i}" for i in range(len(values))])
    fig = lcoh_breakdown_figure(series)
    ax = fig.axes[0]
    positives = sum(v for v in values if v > 0)
    negatives = sum(v for v in values if v < 0)
    assert ax.collections[0].get_offsets()[0][1] == pytest.approx(sum(values))
    tops = [p.get_y() + max(p.get_height(), 0.0) for p in ax.patches] + [0.0]
    bottoms = [p.get_y() + min(p.get_height(), 0.0) for p in ax.patches] + [0.0]
    assert max(tops) == pytest.approx(max(positives, 0.0))
    assert min(bottoms) == pytest.approx(negatives)
    fig.clear()


def test_unserved_hydrogen_gets_its_own_panel(quick: tuple[xr.Dataset, pd.DataFrame]) -> None:
    ds, caps = quick
    served = ds.copy()
    served["unserved_hydrogen_mw"] = xr.zeros_like(ds.unserved_hydrogen_mw)
    assert len(hydrogen_storage_figure(served, caps).axes) == 1
    short = ds.copy()
    short["unserved_hydrogen_mw"] = xr.where(ds.time.dt.month == 3, 10.0, 0.0)
    fig = hydrogen_storage_figure(short, caps)
    assert len(fig.axes) == 2
    assert "(MWh_H2 per day)" in fig.axes[1].get_ylabel()
    assert f"{31 * 24 * 10.0:,.0f} MWh_H2 in total on 31 days" in fig.axes[1].get_title()
    # 10 MW for 24 h = 240 MWh on each of the 31 March days, drawn as day-wide bars
    heights = [p.get_height() for p in fig.axes[1].patches if p.get_height() > 0]
    assert heights == pytest.approx([240.0] * 31)
    assert [p.get_width() for p in fig.axes[1].patches] == pytest.approx([1.0] * 365)  # a day


def test_several_sites_and_weather_years(write_scenario, tmp_path: Path) -> None:
    """Three sites over 2017 and 2019: dispatch weeks of 2017 per site, lines break at 2018."""
    path = write_scenario({"weather": {"source": "entsoe_de", "years": [2017, 2019]}},
                          base="lausitz_2030_fixed.yaml")
    inputs = build_inputs(load_scenario(path), base_dir=SCENARIOS)
    ds, caps = toy_results(inputs)
    figs = build_figures(ds, kpis_of(ds), caps, pd.DataFrame({2017: LCOH, 2019: LCOH}))
    sites = {"jaenschwalde", "schwarze_pumpe", "boxberg"}
    assert {s for s in figs if s.startswith("dispatch_")} == {
        f"dispatch_{season}_{site}" for season in ("winter", "summer") for site in sites
    }
    assert "2017" in figs["dispatch_summer_boxberg"].axes[0].get_title()
    level_line = figs["hydrogen_storage"].axes[0].lines[0]
    assert np.isnan(level_line.get_ydata()).sum() == 1  # one break between 2017 and 2019
    assert len(monthly_balance(ds)) == 24
    # duration curves are per year: 2 x 8760 hours drawn on 0..8760 h/a
    assert figs["duration_curves"].axes[0].lines[0].get_xdata()[-1] == pytest.approx(8760)
    kpi_ax = figs["weather_year_kpis"].axes[0]
    assert [t.get_text() for t in kpi_ax.get_xticklabels()] == ["2017", "2019"]
    assert [t.get_text() for t in figs["lcoh_breakdown"].axes[0].get_xticklabels()] == [
        "2017", "2019"
    ]
    written = save_figures({"hydrogen_storage": figs["hydrogen_storage"]}, tmp_path, ("png",))
    assert mpimg.imread(written[0]).shape[:2] == (750, 1800)  # 12 x 5 in at 150 dpi


COMPARE = pd.DataFrame(
    {
        "wind_mw": [3000.0, 3500.0, 2500.0],
        "pv_mw": [4000.0, 3500.0, 5000.0],
        "electrolysis_mw": [600.0, 650.0, 550.0],
        "battery_mwh": [800.0, 1200.0, 400.0],
        "hydrogen_storage_mwh": [12000.0, 10000.0, 15000.0],
        "lcoh_eur_per_kg": [5.1, 4.8, 5.6],
        "co2_t": [52000.0, 31000.0, 80000.0],
    },
    index=pd.Index(["lausitz_2030", "lausitz_2030_fixed", "lausitz_2040"], name="run"),
)


def test_draw_comparison_files(tmp_path: Path) -> None:
    written = draw_comparison(COMPARE, tmp_path / "cmp")
    stems = {"compare_capacities", "compare_lcoh", "compare_emissions"}
    assert set(written) == {tmp_path / "cmp" / f"{s}.{f}" for s in stems for f in ("png", "svg")}
    for path in written:
        assert path.stat().st_size > 1000
    for stem in stems:
        image = mpimg.imread(tmp_path / "cmp" / f"{stem}.png")
        width_in, height_in = FIGURE_SIZES_IN[stem]
        assert image.shape[:2] == (round(height_in * DPI), round(width_in * DPI))


def test_comparison_bars_show_the_table() -> None:
    figs = build_comparison_figures(COMPARE)
    lcoh_ax = figs["compare_lcoh"].axes[0]
    assert [p.get_height() for p in lcoh_ax.patches] == pytest.approx([5.1, 4.8, 5.6])
    assert "(EUR/kg H2)" in lcoh_ax.get_ylabel()
    co2_ax = figs["compare_emissions"].axes[0]
    assert [p.get_height() for p in co2_ax.patches] == pytest.approx([52.0, 31.0, 80.0])
    assert "(kt CO2/a)" in co2_ax.get_ylabel()
    mw_ax, mwh_ax = figs["compare_capacities"].axes
    assert [t.get_text() for t in mw_ax.get_xticklabels()] == ["Wind", "PV", "Electrolysis"]
    # one bar per run and technology, grouped by technology
    assert sorted(p.get_height() for p in mw_ax.patches) == sorted(
        COMPARE[["wind_mw", "pv_mw", "electrolysis_mw"]].to_numpy().ravel()
    )
    assert "(MWh)" in mwh_ax.get_ylabel()
    assert len(mwh_ax.patches) == 6


def test_comparison_skips_missing_columns(tmp_path: Path) -> None:
    written = draw_comparison(COMPARE[["lcoh_eur_per_kg"]], tmp_path, formats=("svg",))
    assert written == [tmp_path / "compare_lcoh.svg"]


def test_unknown_format_is_refused(quick: tuple[xr.Dataset, pd.DataFrame], tmp_path: Path) -> None:
    ds, caps = quick
    with pytest.raises(ValueError, match="jpeg"):
        draw_all(ds, None, caps, LCOH, tmp_path, formats=("png", "jpeg"))
    assert not any(tmp_path.iterdir())


def test_pipeline_column_names_are_understood() -> None:
    """``co2_emissions_t``, ``capex_<tech>`` components and extra KPI columns are handled."""
    kpis = pd.DataFrame(
        {"lcoh_eur_per_kg": [4.0, 4.4], "co2_emissions_t": [20000.0, 26000.0],
         "lcoh_capex_wind_eur_per_kg": [1.0, 1.1], "hours": [8760.0, 8760.0]},
        index=pd.Index([2018, 2019], name="weather_year"),
    )
    fig = weather_year_kpis_figure(kpis)
    labels = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert labels == ["LCOH", "CO2 emissions"]  # extra columns left out
    assert [p.get_height() for p in fig.axes[1].patches] == pytest.approx([20.0, 26.0])
    breakdown = pd.DataFrame(
        {"2018": {"capex_wind": 1.0, "natural_gas": 0.5, "grid_export_revenue": -0.2}}
    )
    legend = lcoh_breakdown_figure(breakdown).legends[0]
    assert [t.get_text() for t in legend.get_texts()] == [
        "Natural gas", "Wind capital", "Grid export revenue", "Total (net)"
    ]
    table = COMPARE.rename(columns={"co2_t": "co2_emissions_t"})
    co2_ax = build_comparison_figures(table)["compare_emissions"].axes[0]
    assert [p.get_height() for p in co2_ax.patches] == pytest.approx([52.0, 31.0, 80.0])


def _panel(fig, title: str):
    (ax,) = [ax for ax in fig.axes if ax.get_visible() and ax.get_title() == title]
    return ax


def test_share_panel_does_not_round_a_shortfall_away() -> None:
    """99.95 % reads 99.95 %, 0.99996 reads 99.99 % (not 100.00 %), and the axis tells them apart.

    432 MWh of 864,000 MWh unserved is 99.95 %; 34.56 MWh is 99.996 %.
    """
    demand = 864_000.0
    unserved = np.array([432.0, 34.56, 0.0])
    kpis = pd.DataFrame(
        {"demand_met_share": (demand - unserved) / demand, "unserved_hydrogen_mwh": unserved},
        index=pd.Index([2018, 2019, 2020], name="weather_year"),
    )
    fig = weather_year_kpis_figure(kpis)
    assert fig is not None
    ax = _panel(fig, "Hydrogen demand met")
    assert [t.get_text() for t in ax.texts] == ["99.95 %", "99.99 %", "100.00 %"]
    fig.draw_without_rendering()
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert len(set(ticks)) == len(ticks)  # enough decimals to tell the ticks apart
    assert ax.get_ylim()[0] < 99.95 < 99.996 < 100.0 < ax.get_ylim()[1]
    fmt = ax.yaxis.get_major_formatter()
    assert fmt(99.996, 0) != fmt(100.0, 0)
    # the points sit at the true values, not at the rounded ones
    (points,) = ax.collections
    np.testing.assert_allclose(points.get_offsets()[:, 1], 100 * (demand - unserved) / demand)
    unserved_ax = _panel(fig, "Unserved hydrogen")
    assert unserved_ax.get_ylabel() == "(MWh_H2)"
    assert [p.get_height() for p in unserved_ax.patches] == pytest.approx(unserved)
    assert [t.get_text() for t in unserved_ax.texts] == ["432", "35", "0"]


def test_compare_shows_the_share_met_and_unserved_per_run(tmp_path: Path) -> None:
    table = COMPARE.assign(
        demand_met_share=[1.0, 0.9995, 0.99996], unserved_hydrogen_mwh=[0.0, 432.0, 34.56]
    )
    fig = build_comparison_figures(table)["compare_hydrogen"]
    share_ax, unserved_ax = fig.axes
    assert [t.get_text() for t in share_ax.texts] == [
        "100.00 %\n0 MWh unserved", "99.95 %\n432 MWh unserved", "99.99 %\n35 MWh unserved",
    ]
    assert [t.get_text() for t in unserved_ax.texts] == ["0", "432", "35"]
    assert "(MWh_H2)" in unserved_ax.get_ylabel()
    written = draw_comparison(table, tmp_path, formats=("png",))
    assert tmp_path / "compare_hydrogen.png" in written
    image = mpimg.imread(tmp_path / "compare_hydrogen.png")
    width_in, height_in = FIGURE_SIZES_IN["compare_hydrogen"]
    assert image.shape[:2] == (round(height_in * DPI), round(width_in * DPI))


# --------------------------------------------------------------------------- readability rules
#
# Each rule is checked in display coordinates or colour space, independently of how the
# figure code places things: a legend box must not hold a drawn data point, two items of
# one chart must differ in colour by a visible amount, tick labels must not read "-0" or
# repeat, a panel of zeros gets an axis from 0.


def _lab(colour: Any) -> np.ndarray:
    """CIELAB (D65) of a colour, from the sRGB formulas (IEC 61966-2-1, CIE 1976)."""
    rgb = np.array(to_rgb(colour))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array([
        [0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505],
    ]) @ linear / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a: Any, b: Any) -> float:
    """CIE76 colour difference; about 2.3 is just noticeable, 10 and more is clearly another."""
    return float(np.linalg.norm(_lab(a) - _lab(b)))


#: Smallest colour difference between two items of one chart.
DISTINCT = 10.0


def _data_points(ax) -> np.ndarray:
    """Display coordinates of every drawn data point of an axes (lines, areas, markers)."""
    points = []
    for line in ax.get_lines():
        xy = line.get_xydata()
        if len(xy) > 1:  # reference lines such as axhline have two points and count too
            points.append(ax.transData.transform(np.asarray(xy, dtype=float)))
    for coll in ax.collections:
        for path in coll.get_paths():
            points.append(coll.get_transform().transform(path.vertices))
        offsets = coll.get_offsets()
        if len(offsets) and not coll.get_paths()[0:0]:
            points.append(ax.transData.transform(np.asarray(offsets, dtype=float)))
    if not points:
        return np.empty((0, 2))
    out = np.vstack(points)
    out = out[np.all(np.isfinite(out), axis=1)]
    box = ax.get_window_extent()
    inside = (out[:, 0] >= box.x0) & (out[:, 0] <= box.x1) & (out[:, 1] >= box.y0) & (
        out[:, 1] <= box.y1
    )
    return out[inside]  # points clipped away are not drawn


def legend_overlaps(fig) -> list[str]:
    """Legends whose box holds a drawn data point of any axes of the figure."""
    fig.draw_without_rendering()
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    for sub in getattr(fig, "subfigs", []):
        legends += list(sub.legends)
    found = []
    for legend in legends:
        box = legend.get_window_extent()
        for ax in fig.axes:
            pts = _data_points(ax)
            hit = (pts[:, 0] > box.x0) & (pts[:, 0] < box.x1) & (pts[:, 1] > box.y0) & (
                pts[:, 1] < box.y1
            )
            if hit.any():
                found.append(f"legend {[t.get_text() for t in legend.get_texts()][:3]} "
                             f"covers {int(hit.sum())} points of {ax.get_title()!r}")
    return found


_MINUS_ZERO = re.compile(r"^[-\u2212]0([.,]0*)?\s*%?$")


def tick_problems(fig) -> list[str]:
    """Y tick labels that read -0 or repeat within one axis (visible axes only)."""
    fig.draw_without_rendering()
    problems = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        labels = [t.get_text() for t in ax.yaxis.get_ticklabels() if t.get_text()]
        bad = [t for t in labels if _MINUS_ZERO.match(t)]
        if bad:
            problems.append(f"{ax.get_title()!r}: {bad}")
        if len(set(labels)) != len(labels):
            problems.append(f"{ax.get_title()!r} repeats ticks {labels}")
    return problems


@pytest.fixture(scope="module")
def three_sites() -> tuple[xr.Dataset, pd.DataFrame]:
    """The fixed 2030 plan's three sites over 2019, with display names in the scenario."""
    inputs = build_inputs(load_scenario(SCENARIOS / "lausitz_2030_fixed.yaml"), base_dir=SCENARIOS)
    ds, caps = toy_results(inputs)
    scenario = yaml.safe_load(scenario_to_yaml(inputs.scenario))
    scenario["sites"]["jaenschwalde"]["display_name"] = "Jänschwalde"
    ds.attrs["scenario_yaml"] = yaml.safe_dump(scenario, allow_unicode=True)
    return ds, caps


def test_no_legend_covers_data(
    quick_figures: dict, three_sites: tuple[xr.Dataset, pd.DataFrame]
) -> None:
    """Every figure of one site and of three sites keeps its legends off the data."""
    ds, caps = three_sites
    figures = {**quick_figures, **{f"3:{k}": v for k, v in build_figures(
        ds, kpis_of(ds), caps, pd.DataFrame({2019: LCOH})
    ).items()}}
    for stem, fig in figures.items():
        assert legend_overlaps(fig) == [], stem


def test_duration_curves_show_every_site_at_full_load(
    three_sites: tuple[xr.Dataset, pd.DataFrame]
) -> None:
    """The 90-100 % band of the load-duration panel is free of legends, all sites drawn."""
    ds, caps = three_sites
    fig = build_figures(ds, None, caps, None)["duration_curves"]
    load_ax = fig.axes[1]
    assert [ln.get_label().split(" (")[0] for ln in load_ax.get_lines()] == [
        "Jänschwalde", "Schwarze Pumpe", "Boxberg",
    ]
    fig.draw_without_rendering()
    band = load_ax.transData.transform([[0.0, 90.0], [load_ax.get_xlim()[1], 100.0]])
    for legend in [ax.get_legend() for ax in fig.axes if ax.get_legend()]:
        box = legend.get_window_extent()
        assert box.y1 <= band[0, 1] or box.x1 <= band[0, 0] or box.x0 >= band[1, 0]


def test_site_display_names_in_titles_and_legends(
    three_sites: tuple[xr.Dataset, pd.DataFrame]
) -> None:
    """The scenario's display name if given, else the key in words; file names keep the key."""
    ds, caps = three_sites
    assert site_names(ds) == {
        "jaenschwalde": "Jänschwalde", "schwarze_pumpe": "Schwarze Pumpe", "boxberg": "Boxberg",
    }
    figs = build_figures(ds, None, caps, None)
    assert "at Jänschwalde," in figs["dispatch_winter_jaenschwalde"].axes[0].get_title()
    assert "at Schwarze Pumpe," in figs["dispatch_summer_schwarze_pumpe"].axes[0].get_title()
    labels = [t.get_text() for t in figs["capacities"].legends[0].get_texts()]
    assert labels == ["Jänschwalde", "Schwarze Pumpe", "Boxberg"]
    plain = ds.copy()
    plain.attrs = {}
    assert site_names(plain)["jaenschwalde"] == "Jaenschwalde"


def test_display_name_is_a_scenario_field(write_scenario) -> None:
    path = write_scenario({"sites": {"boxberg": {"display_name": "Kraftwerk Boxberg"}}})
    assert load_scenario(path).sites["boxberg"].display_name == "Kraftwerk Boxberg"
    assert load_scenario(SCENARIOS / "single_site_quick.yaml").sites["boxberg"].display_name is None


def test_hydrogen_storage_lists_only_sites_with_storage(
    three_sites: tuple[xr.Dataset, pd.DataFrame]
) -> None:
    ds, caps = three_sites
    caps = caps.copy()
    only = ds.copy()
    level = only["hydrogen_storage_mwh"].copy()
    level.loc[{"site": ["jaenschwalde", "schwarze_pumpe"]}] = 0.0
    only["hydrogen_storage_mwh"] = level
    caps.loc[["jaenschwalde", "schwarze_pumpe"], "hydrogen_storage_mwh"] = 0.0
    fig = hydrogen_storage_figure(only, caps)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    site_labels = [t for t in labels if not t.startswith("Unserved")]
    assert site_labels == ["Boxberg level", "Boxberg capacity"]


def test_chart_colours_are_distinct() -> None:
    """Dispatch stacks, every LCOH component and the carrier table: no two alike."""
    for name, colours in (
        ("dispatch", [c for _, _, c in (*SOURCES, *SINKS)]),
        ("carriers", [c.color for c in CARRIERS.values()]),
    ):
        pairs = [(a, b) for i, a in enumerate(colours) for b in colours[i + 1:]]
        assert min(delta_e(a, b) for a, b in pairs) >= DISTINCT, name
    # the LCOH bar with every component the KPIs compute
    breakdown = pd.Series({c: 0.5 for c in KPI_LCOH_COMPONENTS} | {"grid_export_revenue": -0.5})
    fig = lcoh_breakdown_figure(breakdown)
    ax = fig.axes[0]
    face = {}
    for patch in ax.patches:
        face.setdefault(patch.get_facecolor()[:3], patch)
    assert len(face) == len(KPI_LCOH_COMPONENTS)
    colours = list(face)
    worst = min(
        (delta_e(a, b), a, b) for i, a in enumerate(colours) for b in colours[i + 1:]
    )
    assert worst[0] >= DISTINCT, worst
    assert carrier_table()["color"].is_unique
    assert carrier_table(["wind", "solar"]).loc["solar", "nice_name"] == "PV"
    assert min(delta_e(a.color, b.color) for i, a in enumerate(CARRIERS.values())
               for b in list(CARRIERS.values())[i + 1:]) >= MIN_COLOUR_DISTANCE


def test_zero_panels_have_an_axis_from_zero() -> None:
    """CO2 and curtailment of zero: axis 0 .. 1 with one tick "0", no -0, no ±0.05."""
    kpis = pd.DataFrame(
        {"lcoh_eur_per_kg": [4.0, 4.4], "co2_emissions_t": [0.0, 0.0],
         "curtailment_share": [0.0, 0.0], "unserved_hydrogen_mwh": [0.0, 0.0]},
        index=pd.Index([2018, 2019], name="weather_year"),
    )
    fig = weather_year_kpis_figure(kpis)
    assert tick_problems(fig) == []
    for title in ("CO2 emissions", "Curtailment", "Unserved hydrogen"):
        ax = _panel(fig, title)
        assert ax.get_ylim()[0] == 0.0, title
        assert [t.get_text() for t in ax.yaxis.get_ticklabels()] == ["0"], title


def test_compare_emissions_of_zero_read_zero() -> None:
    table = COMPARE.assign(co2_t=0.0, demand_met_share=1.0, unserved_hydrogen_mwh=0.0)
    figs = build_comparison_figures(table)
    for stem, fig in figs.items():
        assert tick_problems(fig) == [], stem
    ax = figs["compare_emissions"].axes[0]
    assert ax.get_ylim() == (0.0, 1.0)
    assert any("no CO2" in t.get_text() for t in ax.texts)


@settings(max_examples=20, deadline=None)
@given(st.floats(-1e-3, 1e-3, allow_nan=False))
def test_thousands_ticks_never_read_minus_zero(value: float) -> None:
    fig = Figure()
    ax = fig.add_subplot()
    ax.bar([0, 1], [value, -value])
    ax.yaxis.set_major_formatter(_THOUSANDS)
    fig.draw_without_rendering()
    labels = [t.get_text() for t in ax.yaxis.get_ticklabels()]
    assert not any(_MINUS_ZERO.match(t) for t in labels), labels


# --------------------------------------------------------------------------- VPP figures


@pytest.fixture(scope="module")
def vpp_pair(quick_inputs: SystemInputs) -> tuple[xr.Dataset, xr.Dataset]:
    """Two schedules of a year: the toy dispatch and one with PV doubled, a cycling battery."""
    optimised, _ = toy_results(quick_inputs)
    rule_based, _ = toy_results(quick_inputs, pv_factor=2.0)
    hours = np.arange(optimised.sizes["time"])
    soc = 100.0 + 100.0 * np.sin(2 * np.pi * hours / 24)  # a daily cycle, 0 .. 200 MWh
    optimised["battery_soc_mwh"] = (("time", "site"), soc[:, None])
    return optimised, rule_based


VPP_TABLE = pd.DataFrame(
    {"optimised": [67.0e6, 2.34e6, 0.1875e6, 64.4e6, 0.0, 1.0, 0.0],
     "rule_based": [56.0e6, 2.46e6, 0.003e6, 53.6e6, 0.0, 1.0, 0.0]},
    index=["grid_export_revenue_eur", "variable_om_eur", "start_cost_eur",
           "operating_profit_eur", "co2_emissions_t", "demand_met_share",
           "gas_backup_natural_gas_mwh"],
)


def test_vpp_schedules_share_one_power_scale(vpp_pair) -> None:
    optimised, rule_based = vpp_pair
    fig = vpp_figures.price_schedule_figure(optimised, rule_based)
    _, opt_ax, rule_ax = fig.axes
    assert opt_ax.get_ylim() == rule_ax.get_ylim()
    assert legend_overlaps(fig) == []


def test_vpp_storage_of_a_year_is_daily(vpp_pair) -> None:
    """365 days of a daily battery cycle: one mean per day and the day's range, legend aside."""
    optimised, rule_based = vpp_pair
    fig = vpp_figures.storage_figure(optimised, rule_based)
    battery_ax = fig.axes[1]
    (mean_line, _rule_mean) = battery_ax.get_lines()
    assert len(mean_line.get_xdata()) == 365
    # a full sine cycle per day: daily mean 100, range 0 .. 200 MWh
    np.testing.assert_allclose(mean_line.get_ydata(), 100.0, atol=1e-9)
    assert legend_overlaps(fig) == []


def test_vpp_costs_are_visible_beside_revenue() -> None:
    """Costs of 2.3 MEUR beside 67 MEUR revenue fill their own axis and carry their value."""
    fig = vpp_figures.profit_comparison_figure(VPP_TABLE)
    (costs_ax,) = [ax for ax in fig.axes if ax.get_title() == "Costs (paid)"]
    low, high = costs_ax.get_ylim()
    om = [p.get_height() for p in costs_ax.patches[:1]] + [
        p.get_height() for p in costs_ax.patches[2:3]
    ]
    assert min(om) >= 0.5 * (high - low)  # 2.34 and 2.46 MEUR of an axis up to ~3
    texts = {t.get_text() for t in costs_ax.texts}
    assert {"2.3", "2.5", "0.19", "0.003"} <= texts
    assert tick_problems(fig) == []
    assert legend_overlaps(fig) == []
