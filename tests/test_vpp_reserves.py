"""Reserve capacity in the VPP window: hand-derived optima of small constructed cases."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nzv_energy.errors import InputDataError
from nzv_energy.vpp.model import (
    Portfolio,
    SiteState,
    WindowData,
    build_model,
    read_schedule,
    reserve_key,
    set_window,
)
from nzv_energy.vpp.reserves import ReserveSpec, block_prices, load_reserve_prices
from nzv_energy.vpp.solve import SolveStatus, WindowSolver
from tests.conftest import lp_tol
from tests.test_vpp_model import make_portfolio, make_window


def spec(*products: str, block_hours: int = 4, fcr_h: float = 0.5,
         afrr_h: float | None = None) -> ReserveSpec:
    return ReserveSpec(products=tuple(products), block_hours=block_hours,
                       fcr_duration_h=fcr_h,
                       afrr_duration_h=float(block_hours) if afrr_h is None else afrr_h)


def solve_reserves(
    portfolio: Portfolio, data: WindowData, reserves: ReserveSpec, prices: np.ndarray,
    state: SiteState,
) -> tuple[dict[str, np.ndarray], float]:
    """Solve one window with reserve prices ``(n_products, n_blocks)``, EUR/MW per block."""
    data = replace(data, reserve_price_eur_per_mw=np.asarray(prices, float))
    model = build_model(portfolio, data.n_hours, reserves=reserves)
    set_window(model, portfolio, data, state)
    result = WindowSolver(model, mip_gap=1e-9).solve()
    assert result.status is SolveStatus.OPTIMAL, result
    return read_schedule(model, portfolio, data), float(result.objective_eur)


def battery_state(portfolio: Portfolio, soc_mwh: float) -> SiteState:
    st0 = SiteState.initial(portfolio, 0.0, 0.0)
    return replace(st0, battery_soc_mwh=np.array([soc_mwh]))


def test_battery_afrr_pos_is_limited_to_its_energy_over_the_duration() -> None:
    # A full 10 MWh battery (100 MW, lossless) and a 4-h block of aFRR+ held for the whole
    # block: it can promise at most E / d = 10 / 4 = 2.5 MW (power is no limit), worth
    # 2.5 MW x 100 EUR/MW = 250 EUR; energy prices are zero, so nothing else pays.
    p = make_portfolio(battery_mw=100, battery_mwh=10, grid_connection_mw=1000)
    sched, objective = solve_reserves(
        p, make_window(p, [0.0] * 4), spec("afrr_pos"), [[100.0]], battery_state(p, 10.0)
    )
    held = sched[reserve_key("afrr_pos", "battery")][0]
    np.testing.assert_allclose(held, 2.5, rtol=1e-9)
    assert objective == pytest.approx(250.0, rel=1e-9)


def test_battery_fcr_is_symmetric_so_half_the_energy_backs_each_direction() -> None:
    # FCR needs energy to deliver d = 0.5 h up AND down: at most min(soc, E - soc) / d,
    # best at soc = E / 2: 10 MWh -> 5 / 0.5 = 10 MW = E / (2 d).
    p = make_portfolio(battery_mw=100, battery_mwh=10, grid_connection_mw=1000)
    sched, objective = solve_reserves(
        p, make_window(p, [0.0] * 4), spec("fcr"), [[10.0]], battery_state(p, 5.0)
    )
    np.testing.assert_allclose(sched[reserve_key("fcr", "battery")][0], 10.0, rtol=1e-9)
    assert objective == pytest.approx(100.0, rel=1e-9)


@pytest.mark.parametrize(("fcr_price", "reserve_mw", "sold_mwh"), [(60.0, 10.0, 0.0),
                                                                   (40.0, 0.0, 5.0)])
def test_a_high_enough_capacity_price_makes_the_battery_reserve_instead_of_trade(
    fcr_price: float, reserve_mw: float, sold_mwh: float
) -> None:
    # 10 MW / 10 MWh, lossless, half full; two hours at 100 EUR/MWh; one 2-h FCR block,
    # d = 0.5 h. Selling x MWh leaves 5 - x MWh above empty, so FCR r <= 2 (5 - x) and
    # profit = 100 x + c (10 - 2 x): x = 0 (r = 10 MW) when c > 50, x = 5 (r = 0) when c < 50.
    p = make_portfolio(battery_mw=10, battery_mwh=10, grid_connection_mw=100)
    sched, objective = solve_reserves(
        p, make_window(p, [100.0, 100.0]), spec("fcr", block_hours=2), [[fcr_price]],
        battery_state(p, 5.0),
    )
    np.testing.assert_allclose(sched[reserve_key("fcr", "battery")][0], reserve_mw,
                               atol=lp_tol(10))
    assert sched["grid_export_mw"][0].sum() == pytest.approx(sold_mwh, abs=lp_tol(10, 2))
    assert objective == pytest.approx(100 * sold_mwh + fcr_price * reserve_mw, rel=1e-9)


def test_electrolyser_positive_reserve_is_its_load_above_minimum() -> None:
    # A 10 MW stack (efficiency 0.5, minimum load 20 %) must make 5 MW_H2 every hour, i.e.
    # run at full load on free grid power: it can shed 10 - 2 = 8 MW (aFRR+), and has no
    # room to take more (aFRR- = 0) although aFRR- pays too.
    p = make_portfolio(electrolysis_mw=10, electrolysis_min_load_fraction=0.2,
                       pipeline_mw=100, grid_connection_mw=100,
                       unserved_hydrogen_penalty_eur_per_mwh=None)
    sched, _ = solve_reserves(
        p, make_window(p, [0.0] * 4, demand=5.0), spec("afrr_pos", "afrr_neg"),
        [[10.0], [10.0]], SiteState.initial(p, 0.0, 0.0),
    )
    np.testing.assert_allclose(sched[reserve_key("afrr_pos", "electrolysis")][0], 8.0,
                               rtol=1e-9)
    np.testing.assert_allclose(sched[reserve_key("afrr_neg", "electrolysis")][0], 0.0,
                               atol=lp_tol(10))


@pytest.mark.parametrize(("price", "on"), [(20.0, True), (10.0, False)])
def test_gas_unit_holds_reserve_only_when_online(price: float, on: bool) -> None:
    # 100 MW gas unit, 30 % minimum load, 60 EUR/MWh_el (30 EUR/MWh gas at 50 %), power
    # sells at 50: running 4 h at minimum load loses 4 x 30 x 10 = 1200 EUR and frees
    # 100 - 30 = 70 MW of aFRR+, worth 70 c: on for c = 20 (1400 > 1200), off for c = 10.
    p = make_portfolio(gas_backup_mw=100, gas_min_load_fraction=0.3, grid_connection_mw=1000)
    sched, objective = solve_reserves(
        p, make_window(p, [50.0] * 4), spec("afrr_pos"), [[price]],
        SiteState.initial(p, 0.0, 0.0),
    )
    held = sched[reserve_key("afrr_pos", "gas_backup")][0]
    np.testing.assert_allclose(held, 70.0 if on else 0.0, atol=lp_tol(100))
    np.testing.assert_allclose(sched["gas_backup_mw"][0], 30.0 if on else 0.0, atol=lp_tol(100))
    assert objective == pytest.approx(70 * price - 1200 if on else 0.0, abs=lp_tol(1000, 4))


def _check_headroom(p: Portfolio, sched: dict[str, np.ndarray], sp: ReserveSpec,
                    soc0: float) -> None:
    """Energy and capacity held never exceed any rating in the same hour."""
    tol = 1e-6

    def up(unit: str) -> np.ndarray:
        return sum((sched[reserve_key(k, unit)][0] for k in sp.products
                    if k in ("fcr", "afrr_pos")), np.zeros(sched["wind_mw"].shape[1]))

    def dn(unit: str) -> np.ndarray:
        return sum((sched[reserve_key(k, unit)][0] for k in sp.products
                    if k in ("fcr", "afrr_neg")), np.zeros(sched["wind_mw"].shape[1]))

    net_bat = sched["battery_discharge_mw"][0] - sched["battery_charge_mw"][0]
    assert (net_bat + up("battery") <= p.battery_mw[0] + tol).all()
    assert (-net_bat + dn("battery") <= p.battery_mw[0] + tol).all()
    soc = sched["battery_soc_mwh"][0]
    levels = np.minimum(np.concatenate([[soc0], soc[:-1]]), soc)
    room = np.minimum(p.battery_mwh[0] - np.concatenate([[soc0], soc[:-1]]),
                      p.battery_mwh[0] - soc)
    e_up = sum((sp.duration_h(k) * sched[reserve_key(k, "battery")][0] for k in sp.products
                if k in ("fcr", "afrr_pos")), np.zeros_like(soc))
    e_dn = sum((sp.duration_h(k) * sched[reserve_key(k, "battery")][0] for k in sp.products
                if k in ("fcr", "afrr_neg")), np.zeros_like(soc))
    assert (e_up <= levels + tol).all()  # lossless battery, empty allowed
    assert (e_dn <= room + tol).all()
    stack = sched["electrolysis_input_mw"][0] - sched["electrolysis_standby_mw"][0]
    on = sched["electrolysis_on"][0]
    assert (stack + dn("electrolysis") <= p.electrolysis_mw[0] * on + tol).all()
    min_el = p.electrolysis_min_load_fraction * p.electrolysis_mw[0]
    assert (stack - up("electrolysis") >= min_el * on - tol).all()
    gas = sched["gas_backup_mw"][0]
    gas_on = sched["gas_on"][0]
    assert (gas + up("gas_backup") <= p.gas_backup_mw[0] * gas_on + tol).all()
    assert (gas - dn("gas_backup") >= p.gas_min_load_fraction * p.gas_backup_mw[0] * gas_on
            - tol).all()
    net_export = sched["grid_export_mw"][0] - sched["grid_import_mw"][0]
    total_up = up("battery") + up("electrolysis") + up("gas_backup")
    total_dn = dn("battery") + dn("electrolysis") + dn("gas_backup")
    assert (net_export + total_up <= p.grid_connection_mw[0] + tol).all()
    assert (-net_export + total_dn <= p.grid_connection_mw[0] + tol).all()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    price=st.lists(st.floats(-50, 200), min_size=8, max_size=8),
    reserve=st.lists(st.floats(0, 400), min_size=6, max_size=6),
    wind=st.floats(0, 1),
    soc0=st.floats(0, 20),
)
def test_reserved_headroom_is_never_used_for_energy(
    price: list[float], reserve: list[float], wind: float, soc0: float
) -> None:
    # Any prices: every hour, energy + capacity held up (down) <= the unit's rating (its
    # floor), the battery's held energy covers the delivery duration, and the grid
    # connection carries the activation; a block's capacity is the same in each hour.
    p = make_portfolio(wind_mw=30, battery_mw=10, battery_mwh=20, electrolysis_mw=15,
                       electrolysis_min_load_fraction=0.2, gas_backup_mw=20,
                       gas_min_load_fraction=0.3, pipeline_mw=100, grid_connection_mw=40)
    sp = spec("fcr", "afrr_pos", "afrr_neg")
    sched, _ = solve_reserves(
        p, make_window(p, price, wind_cf=wind, demand=3.0), sp,
        np.reshape(reserve, (3, 2)), battery_state(p, soc0),
    )
    _check_headroom(p, sched, sp, soc0)
    for k in sp.products:
        for u in ("battery", "electrolysis", "gas_backup"):
            held = sched[reserve_key(k, u)][0].reshape(2, 4)
            np.testing.assert_allclose(held, held[:, :1] * np.ones((1, 4)), atol=1e-9)


# ---- the price file ------------------------------------------------------------------------

def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "reserve_prices.csv"
    path.write_text(text, encoding="utf-8")
    return path


TIME = pd.date_range("2019-01-01", periods=8, freq="h")


def test_price_file_lays_each_block_price_on_its_hours(tmp_path: Path) -> None:
    path = _write(tmp_path, "timestamp,product,capacity_price_eur_per_mw\n"
                  "2019-01-01 00:00,fcr,10\n2019-01-01 04:00,fcr,20\n"
                  "2019-01-01T05:00+01:00,afrr_neg,3\n2019-01-01 00:00,afrr_neg,2.5\n")
    prices = load_reserve_prices(path, spec("fcr", "afrr_neg"), TIME)
    np.testing.assert_array_equal(prices.capacity_eur_per_mw,
                                  [[10] * 4 + [20] * 4, [2.5] * 4 + [3] * 4])
    assert prices.activation_eur_per_mwh is None
    np.testing.assert_array_equal(block_prices(prices.capacity_eur_per_mw, 4),
                                  [[10, 20], [2.5, 3]])


@pytest.mark.parametrize(("text", "field", "value"), [
    ("timestamp,product,capacity_price_eur_per_mw\n2019-01-01 00:00,frr,1\n",
     "column product", "frr"),
    ("timestamp,product,capacity_price_eur_per_mw\n2019-01-01 01:00,fcr,1\n",
     "column timestamp", "2019-01-01 01:00"),
    ("timestamp,product,capacity_price_eur_per_mw\n2019-01-01 00:00,fcr,-1\n",
     "column capacity_price_eur_per_mw", "-1"),
    ("timestamp,product,capacity_price_eur_per_mw\n2019-01-01 00:00,fcr,abc\n",
     "column capacity_price_eur_per_mw", "abc"),
    ("timestamp,product,price\n2019-01-01 00:00,fcr,1\n", "header", None),
    ("timestamp,product,capacity_price_eur_per_mw\n2019-01-01 00:00,fcr,1\n"
     "2019-01-01 00:00,fcr,2\n", "line 3", None),
    ("timestamp,product,capacity_price_eur_per_mw\n2019-01-01 00:00,fcr,1\n",
     "vpp.reserves.prices_csv", "2019-01-01 04:00,fcr"),
])
def test_bad_price_file_names_file_field_and_value(
    tmp_path: Path, text: str, field: str, value: str | None
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InputDataError) as err:
        load_reserve_prices(path, spec("fcr"), TIME)
    assert err.value.file == str(path)
    assert field in err.value.field
    if value is not None:
        assert err.value.value == value
    assert err.value.exit_code == 2


# ---- the command, end to end ---------------------------------------------------------------

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


@pytest.fixture(scope="module")
def reserve_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``vpp`` with reserves on two days of the one-site quick scenario."""
    from nzv_energy.cli import main

    folder = tmp_path_factory.mktemp("reserves")
    blocks = pd.date_range("2019-01-01", periods=12, freq="4h")
    rows = ["timestamp,product,capacity_price_eur_per_mw,activation_price_eur_per_mwh"]
    for i, block in enumerate(blocks):
        # a dear FCR block in the evening of the first day; constant aFRR prices
        fcr = 400.0 if i == 4 else 12.0
        rows += [f"{block:%Y-%m-%d %H:%M},fcr,{fcr},",
                 f"{block:%Y-%m-%d %H:%M},afrr_pos,6.5,120",
                 f"{block:%Y-%m-%d %H:%M},afrr_neg,3.0,-20"]
    (folder / "prices.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "scenario.yaml").write_text(
        f"extends: {SCENARIOS / 'single_site_quick.yaml'}\n"
        "name: quick_reserves\n"
        "vpp: {reserves: {prices_csv: prices.csv}}\n",
        encoding="utf-8",
    )
    out = folder / "out"
    assert main(["-q", "vpp", str(folder / "scenario.yaml"), "--days", "2", "--out",
                 str(out)]) == 0
    return out


def test_reserve_run_writes_blocks_revenue_and_the_energy_only_effect(reserve_run: Path) -> None:
    import xarray as xr

    table = pd.read_csv(reserve_run / "comparison.csv", index_col="metric")
    blocks = pd.read_csv(reserve_run / "reserves.csv", parse_dates=["block_start"])
    with xr.open_dataset(reserve_run / "dispatch.nc", engine="h5netcdf") as ds:
        held = ds["reserve_capacity_mw"].load()
        price = ds["reserve_capacity_price_eur_per_mw"].load()
        hashed = ds.attrs["input_sha256"]
    assert "prices.csv" in hashed
    # revenue recomputed from the hourly dataset: each block's MW x its price, counted
    # once per block (the dataset repeats both in the block's 4 hours)
    per_block = (held.sum(("site", "reserve_unit")) * price).isel(time=slice(0, None, 4))
    revenue = float(per_block.sum())
    assert table.at["reserve_revenue_eur", "optimised"] == pytest.approx(revenue, rel=1e-9)
    assert blocks["revenue_eur"].sum() == pytest.approx(revenue, rel=1e-9)
    assert table.at["reserve_revenue_eur", "rule_based"] == 0.0
    # the dear block is taken: 400 EUR/MW beats any arbitrage of a 50 MW / 200 MWh battery
    dear = blocks[(blocks["block_start"] == pd.Timestamp("2019-01-01 16:00"))
                  & (blocks["product"] == "fcr")]
    assert dear["reserved_mw"].sum() > 0
    # a block holds one value over its hours
    values = held.values.reshape(12, 4, *held.shape[1:])
    np.testing.assert_array_equal(values, np.repeat(values[:, :1], 4, axis=1))
    effect = table.at["reserve_effect_on_hydrogen_delivered_mwh", "optimised"]
    assert effect == pytest.approx(
        table.at["hydrogen_delivered_mwh", "optimised"]
        - table.at["hydrogen_delivered_without_reserves_mwh", "optimised"], abs=1e-9)
    assert "Reserves (capacity prices from `prices.csv`)" in (
        reserve_run / "summary.md").read_text(encoding="utf-8")


def test_reserve_run_keeps_headroom_in_every_hour(reserve_run: Path) -> None:
    import xarray as xr

    with xr.open_dataset(reserve_run / "dispatch.nc", engine="h5netcdf") as ds:
        r = ds["reserve_capacity_mw"].isel(site=0).load()
        up = r.sel(reserve_product=["fcr", "afrr_pos"]).sum("reserve_product")
        dn = r.sel(reserve_product=["fcr", "afrr_neg"]).sum("reserve_product")
        d = {name: ds[name].isel(site=0).values for name in (
            "battery_charge_mw", "battery_discharge_mw", "electrolysis_input_mw",
            "electrolysis_standby_mw", "electrolysis_on", "gas_backup_mw")}
    net = d["battery_discharge_mw"] - d["battery_charge_mw"]
    tol = 1e-6
    # single_site_quick: battery 50 MW, electrolysis 100 MW, gas 20 MW
    assert (net + up.sel(reserve_unit="battery").values <= 50 + tol).all()
    assert (-net + dn.sel(reserve_unit="battery").values <= 50 + tol).all()
    stack = d["electrolysis_input_mw"] - d["electrolysis_standby_mw"]
    assert (stack + dn.sel(reserve_unit="electrolysis").values
            <= 100 * d["electrolysis_on"] + tol).all()
    assert (stack - up.sel(reserve_unit="electrolysis").values >= -tol).all()
    assert (d["gas_backup_mw"] + up.sel(reserve_unit="gas_backup").values <= 20 + tol).all()
    off = d["gas_backup_mw"] <= 1e-6
    assert (r.sel(reserve_unit="gas_backup").values[off] == 0).all()


def test_scenario_refuses_reserve_blocks_that_do_not_tile_the_windows() -> None:
    from pydantic import ValidationError

    from nzv_energy.scenario import Vpp, VppReserves

    with pytest.raises(ValidationError, match="must divide 24"):
        VppReserves(prices_csv="p.csv", block_hours=5)
    with pytest.raises(ValidationError, match=r"multiple of reserves\.block_hours"):
        Vpp(commit_h=6, horizon_h=48, reserves=VppReserves(prices_csv="p.csv", block_hours=4))
    assert Vpp().reserves is None


def test_vpp_metrics_count_grid_imports_at_the_hourly_grid_intensity(reserve_run: Path) -> None:
    # Recomputed from the written schedule and the built-in intensity series (ENTSO-E mix x
    # inputs/emission_factors.csv): sum over hours of import MWh x g/kWh / 1000 = t.
    import xarray as xr

    from nzv_energy.economics import HYDROGEN_LHV_KWH_PER_KG
    from nzv_energy.grid_carbon import load_grid_carbon

    table = pd.read_csv(reserve_run / "comparison.csv", index_col="metric")
    with xr.open_dataset(reserve_run / "dispatch.nc", engine="h5netcdf") as ds:
        imports = ds["grid_import_mw"].sum("site").values
        time = pd.DatetimeIndex(ds["time"].values)
        ely = ds["electrolysis_input_mw"].sum("site").values
        local = ds["local_demand_mw"].sum("site").values
        h2_mwh = float(ds["hydrogen_output_mw"].sum())
    ci = load_grid_carbon("entsoe_de", time, None).g_co2e_per_kwh
    assert imports.sum() > 0  # the schedule buys power for its own loads
    expected = float((imports * ci).sum() / 1000.0)
    assert table.at["grid_import_co2_t", "optimised"] == pytest.approx(expected, rel=1e-9)
    assert table.at["grid_import_co2_t", "rule_based"] == pytest.approx(0.0, abs=0)
    # one site, no natural gas: the hydrogen carries the electrolyser's share of each hour
    share = np.divide(ely, ely + local, out=np.zeros_like(ely), where=(ely + local) > 0)
    h2_t = float((imports * ci * share).sum() / 1000.0)
    kg = h2_mwh * 1000.0 / HYDROGEN_LHV_KWH_PER_KG
    assert table.at["hydrogen_carbon_intensity_kg_per_kg", "optimised"] == pytest.approx(
        h2_t * 1000.0 / kg, rel=1e-9)
    assert table.at["hydrogen_carbon_intensity_g_per_mj", "optimised"] == pytest.approx(
        h2_t * 1e6 / (kg * HYDROGEN_LHV_KWH_PER_KG * 3.6), rel=1e-9)


def test_objective_with_reserves_equals_the_profit_computed_from_the_dataset(
    tmp_path: Path,
) -> None:
    # One 48-h window, storage worthless at its end: the solver's objective (energy,
    # costs and capacity revenue) equals the comparison's operating profit, which the
    # dataset gives through compute_kpis and the reserve variables.
    from nzv_energy.scenario import VppReserves
    from nzv_energy.scenario_file import load_scenario
    from nzv_energy.system import build_inputs
    from nzv_energy.vpp.compare import comparison_table
    from nzv_energy.vpp.rolling import RollingOptions
    from nzv_energy.vpp.scheduler import first_days, rule_based, schedule

    blocks = pd.date_range("2019-01-01", periods=12, freq="4h")
    lines = ["timestamp,product,capacity_price_eur_per_mw"]
    for i, b in enumerate(blocks):
        lines += [f"{b:%Y-%m-%d %H:%M},{k},{v + i}" for k, v in
                  (("fcr", 9.0), ("afrr_pos", 4.0), ("afrr_neg", 2.0))]
    (tmp_path / "p.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    base = load_scenario(SCENARIOS / "single_site_quick.yaml")
    vpp = base.vpp.model_copy(update={"reserves": VppReserves(prices_csv="p.csv"),
                                      "commit_h": 48})
    scenario = base.model_copy(update={"vpp": vpp})
    inputs = first_days(build_inputs(scenario, SCENARIOS), 2)
    options = replace(RollingOptions.from_scenario(scenario), storage_value="none",
                      mip_gap=1e-6)
    run = schedule(inputs, options=options, base_dir=tmp_path)
    table = comparison_table(run.dataset, rule_based(inputs), inputs, run.portfolio)
    assert table.loc["reserve_revenue_eur", "optimised"] > 0
    objective = float(run.windows["objective_eur"].sum())
    assert table.loc["operating_profit_eur", "optimised"] == pytest.approx(objective, rel=1e-7)


def test_progress_logs_every_tenth_and_estimates_the_time_left(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import io
    import logging

    from nzv_energy.vpp.progress import WindowProgress, format_duration

    now = [0.0]
    bar = WindowProgress(20, stream=io.StringIO(), bar=False, clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="nzv_energy.vpp.progress"):
        for _ in range(20):
            now[0] += 3.0  # 3 s per window
            bar()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 10  # at 2, 4, ..., 20 windows
    # after 2 windows, 3 s each: 18 windows x 3 s = 54 s left
    assert lines[0] == "2/20 windows (10 %), 54 s left"
    assert lines[-1] == "20/20 windows (100 %), 1 min 00 s"
    assert format_duration(3725) == "1 h 02 min"
    stream = io.StringIO()
    drawn = WindowProgress(4, stream=stream, bar=True, clock=lambda: now[0])
    for _ in range(4):
        now[0] += 1.0
        drawn()
    assert stream.getvalue().endswith("] 4/4 windows (100 %), 4 s\x1b[K\n")
    assert "[" + "#" * 30 + "]" in stream.getvalue()


def test_bad_price_file_stops_the_command_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from nzv_energy.cli import main

    (tmp_path / "prices.csv").write_text(
        "timestamp,product,capacity_price_eur_per_mw\n2019-01-01 00:00,fcr,cheap\n",
        encoding="utf-8")
    (tmp_path / "scenario.yaml").write_text(
        f"extends: {SCENARIOS / 'single_site_quick.yaml'}\nname: bad_reserves\n"
        "vpp: {reserves: {prices_csv: prices.csv, products: [fcr]}}\n", encoding="utf-8")
    code = main(["-q", "vpp", str(tmp_path / "scenario.yaml"), "--days", "1", "--out",
                 str(tmp_path / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert "prices.csv" in err and "capacity_price_eur_per_mw" in err and "'cheap'" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_sized_scenario_written_elsewhere_keeps_its_data_files(tmp_path: Path) -> None:
    # A scenario in study/ names its reserve prices and demand profile relative to its own
    # folder; the sized copy written into a results folder names the same files from there.
    from nzv_energy.scenario_file import load_scenario, scenario_to_yaml

    study = tmp_path / "study"
    (study / "data").mkdir(parents=True)
    for name in ("prices.csv", "demand.csv"):
        (study / "data" / name).write_text("not read here\n", encoding="utf-8")
    (study / "case.yaml").write_text(
        f"extends: {SCENARIOS / 'single_site_quick.yaml'}\n"
        "hydrogen: {demand: {profile: data/demand.csv}}\n"
        "vpp: {reserves: {prices_csv: data/prices.csv}}\n",
        encoding="utf-8",
    )
    scenario = load_scenario(study / "case.yaml")
    out = tmp_path / "results" / "case" / "run"
    out.mkdir(parents=True)
    sized = out / "scenario_sized.yaml"
    sized.write_text(scenario_to_yaml(scenario, scenario_dir=study, out_dir=out), encoding="utf-8")
    back = load_scenario(sized)
    assert back.vpp.reserves is not None
    # three folders up from results/case/run, then into study/data
    assert back.vpp.reserves.prices_csv == "../../../study/data/prices.csv"
    assert back.hydrogen.demand.profile == "../../../study/data/demand.csv"
    assert (out / back.vpp.reserves.prices_csv).resolve() == (study / "data/prices.csv").resolve()
    # built-in sources are names, not files: unchanged
    assert back.weather.source == scenario.weather.source == "entsoe_de"
    assert back.economics.grid_carbon_intensity == "entsoe_de"
    assert back.economics.electricity_price == scenario.economics.electricity_price
    # the rest of the scenario is the same
    assert back.model_copy(update={"vpp": scenario.vpp, "hydrogen": scenario.hydrogen}) == scenario
    # without the folders the paths are written as they were read
    plain = load_scenario(_written(out / "plain.yaml", scenario_to_yaml(scenario)))
    assert plain.vpp.reserves is not None and plain.vpp.reserves.prices_csv == "data/prices.csv"


def _written(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
