"""Tests of nzv_energy.report.figures on results built from the shipped inputs.

The results are a simple, balance-consistent split of real wind/PV profiles
(renewables -> local demand -> electrolysis -> export -> curtailment, a
hydrogen store that smooths the flat demand); the figures do not judge the
dispatch, only draw it.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from nzv_energy.report.figures import (
    DPI,
    DURATION_POINTS,
    FIGURE_SIZES_IN,
    build_comparison_figures,
    build_figures,
    draw_all,
    draw_comparison,
    duration_curve,
    hydrogen_storage_figure,
    lcoh_breakdown_figure,
    monthly_balance,
    save_figures,
    weather_year_kpis_figure,
    week_slice,
)
from nzv_energy.scenario_file import load_scenario
from nzv_energy.schema import make_dataset
from nzv_energy.system import SystemInputs, build_inputs, fixed_capacities

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
    assert "(MW_H2)" in fig.axes[1].get_ylabel()
    assert f"{31 * 24 * 10.0:,.0f} MWh_H2" in fig.axes[1].get_title()


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
