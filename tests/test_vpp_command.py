"""``run.py vpp``: results folder, comparison table, windows table, figures, errors."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from nzv_energy.cli import main
from nzv_energy.schema import VARIABLES
from nzv_energy.vpp.compare import METRICS, SUMMARY_METRICS, summarise, summary_markdown

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


#: Log records of the module's VPP run (the command's own logger, INFO and above).
LOG: list[logging.LogRecord] = []


@pytest.fixture(scope="module")
def vpp_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("vpp") / "quick_vpp"
    logger = logging.getLogger("nzv_energy.vpp.command")
    handler, level = _Records(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        code = main(["-q", "vpp", str(SCENARIOS / "single_site_quick.yaml"), "--days", "3",
                     "--out", str(out)])
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert code == 0
    LOG[:] = handler.records
    return out


def test_writes_dataset_tables_and_figures(vpp_run: Path) -> None:
    names = sorted(p.name for p in vpp_run.iterdir())
    assert names == ["comparison.csv", "dispatch.nc", "dispatch_rule_based.nc", "figures",
                     "summary.md", "windows.csv"]
    figures = sorted(p.name for p in (vpp_run / "figures").iterdir())
    for stem in ("vpp_price_schedule", "vpp_profit_comparison", "vpp_storage", "vpp_windows"):
        assert f"{stem}.png" in figures
    assert all((vpp_run / "figures" / f).stat().st_size > 5000 for f in figures)
    assert not list(vpp_run.parent.glob(".quick_vpp.tmp-*"))


def test_dataset_has_the_schema_the_fallback_marks_and_provenance(vpp_run: Path) -> None:
    with xr.open_dataset(vpp_run / "dispatch.nc", engine="h5netcdf") as ds:
        assert set(VARIABLES) <= set(ds.data_vars)
        assert ds.sizes == {"time": 72, "site": 1}
        for name, var in VARIABLES.items():
            assert ds[name].attrs["units"] == var.units
        assert ds["vpp_fallback"].values.tolist() == [0] * 72
        assert ds.attrs["model"] == "pyomo_vpp"
        for key in ("scenario_yaml", "scenario_sha256", "input_sha256", "package_versions"):
            assert ds.attrs[key]
        # 2019 weather takes 2019 prices: the day-ahead file is hashed, the SMARD file
        # (2015 and 2018 only) is not read and not listed
        hashed = json.loads(ds.attrs["input_sha256"])
        assert "de_day_ahead_prices_2017_2020.csv" in hashed
        assert "de_day_ahead_prices_2015_2018_smard.csv" not in hashed
    with xr.open_dataset(vpp_run / "dispatch_rule_based.nc", engine="h5netcdf") as ref:
        assert ref.attrs["model"] == "numba_dispatch"
        assert ref.sizes == {"time": 72, "site": 1}


def test_comparison_and_windows_tables(vpp_run: Path) -> None:
    table = pd.read_csv(vpp_run / "comparison.csv", index_col="metric")
    assert list(table.index) == list(METRICS)
    assert list(table.columns) == ["optimised", "rule_based", "difference", "unit"]
    diff = table["optimised"] - table["rule_based"]
    np.testing.assert_allclose(table["difference"], diff, rtol=1e-8, atol=1e-6)
    with xr.open_dataset(vpp_run / "dispatch.nc", engine="h5netcdf") as ds:
        delivered = float(ds["hydrogen_delivered_mw"].sum())
        price = ds["price_eur_per_mwh"].values
        revenue = float((price * (ds["grid_export_mw"] - ds["grid_import_mw"]).sum("site")).sum())
    assert table.loc["hydrogen_delivered_mwh", "optimised"] == pytest.approx(delivered)
    assert table.loc["market_revenue_eur", "optimised"] == pytest.approx(revenue)
    windows = pd.read_csv(vpp_run / "windows.csv")
    assert len(windows) == 3
    assert windows["start"].tolist() == ["2019-01-01", "2019-01-02", "2019-01-03"]
    assert set(windows["status"]) == {"optimal"}
    # effort in load-independent units only: no wall-clock column in a result file
    assert "solve_time_s" not in windows.columns
    assert (windows["simplex_iterations"] >= 0).all()
    assert windows["objective_eur"].notna().all()


def test_refuses_to_overwrite_without_force(vpp_run: Path) -> None:
    before = (vpp_run / "comparison.csv").stat().st_mtime_ns
    code = main(["-q", "vpp", str(SCENARIOS / "single_site_quick.yaml"), "--days", "1",
                 "--out", str(vpp_run)])
    assert code == 2
    assert (vpp_run / "comparison.csv").stat().st_mtime_ns == before


def test_bad_days_and_ranges_are_input_errors(
    tmp_path: Path, write_scenario: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["-q", "vpp", str(SCENARIOS / "single_site_quick.yaml"), "--days", "0",
                 "--out", str(tmp_path / "x")])
    assert code == 2
    assert "--days" in capsys.readouterr().err
    ranged = write_scenario({"sites": {"boxberg": {"pv_mw": {"min": 0, "max": 300}}}})
    code = main(["-q", "vpp", str(ranged), "--out", str(tmp_path / "y")])
    assert code == 2
    assert "sites.boxberg.pv_mw" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


# --------------------------------------------------------------------------- summary

#: The issue's case: +17 MEUR bought with 98.95 % of demand met (rules 99.93 %) and
#: 2,948 t CO2 (rules 1,200 t); demand 1,000,000 MWh_H2.
TRADED = pd.DataFrame(
    {
        "optimised": {
            "operating_profit_eur": 21.3e6, "hydrogen_delivered_mwh": 989_500.0,
            "unserved_hydrogen_mwh": 10_500.0, "demand_met_share": 0.9895,
            "co2_emissions_t": 2948.0, "rfnbo_share": 0.97,
            "gas_backup_natural_gas_mwh": 14_740.0, "hydrogen_storage_change_mwh": 0.0,
            "electrolysis_starts": 70.0,
        },
        "rule_based": {
            "operating_profit_eur": 4.3e6, "hydrogen_delivered_mwh": 999_300.0,
            "unserved_hydrogen_mwh": 700.0, "demand_met_share": 0.9993,
            "co2_emissions_t": 1200.0, "rfnbo_share": 0.99,
            "gas_backup_natural_gas_mwh": 6_000.0, "hydrogen_storage_change_mwh": 0.0,
            "electrolysis_starts": 41.0,
        },
    }
)


def test_summary_says_what_the_profit_was_traded_for() -> None:
    summary = summarise(TRADED)
    assert summary.optimised == (
        "operating profit 21.3 MEUR; hydrogen demand met 98.95 % (10,500 MWh unserved); "
        "CO2 emissions 2,948 t; RFNBO share of hydrogen 97.00 %; natural gas used 14.7 GWh_th"
    )
    assert summary.rule_based == (
        "operating profit 4.3 MEUR; hydrogen demand met 99.93 % (700 MWh unserved); "
        "CO2 emissions 1,200 t; RFNBO share of hydrogen 99.00 %; natural gas used 6.0 GWh_th"
    )
    assert summary.difference.startswith("operating profit +17.0 MEUR, but ")
    assert "the optimised schedule delivers less hydrogen than the rule-based dispatch (98.95 %" \
        in summary.difference
    assert "emits more CO2 than the rule-based dispatch (2,948 t vs 1,200 t, +1,748 t)" \
        in summary.difference
    assert "lower RFNBO share" in summary.difference
    text = summary_markdown(TRADED, "case")
    assert "**What the profit was traded for:**" in text
    assert "| hydrogen demand met | 98.95 % | 99.93 % | -0.98 points |" in text
    assert "| electrolysis starts | 70 | 41 | +29 |" in text
    assert "| operating profit, MEUR | 21.3 | 4.3 | +17.0 |" in text


def test_summary_names_energy_taken_from_storage() -> None:
    """Ending a year with 3,481 MWh_H2 and 5,653 MWh less in store is part of the profit."""
    table = TRADED.copy()
    table.loc["hydrogen_storage_change_mwh"] = [2_519.0, 6_000.0]
    table.loc["battery_storage_change_mwh"] = [-2_826.5, 2_826.5]
    notes = summarise(table).tradeoffs
    assert notes[-2:] == (
        "the optimised schedule ends with 3,481 MWh_H2 less hydrogen in storage than the "
        "rule-based dispatch",
        "the optimised schedule ends with 5,653 MWh less electricity in its batteries than the "
        "rule-based dispatch",
    )


def test_summary_without_trade_offs_says_so() -> None:
    fair = TRADED.assign(rule_based=TRADED["optimised"] - [1e6, 0, 0, 0, 0, 0, 0, 0, 0])
    summary = summarise(fair)
    assert summary.tradeoffs == ()
    assert summary.difference == (
        "operating profit +1.0 MEUR, with no less hydrogen, no more CO2 and no lower RFNBO share"
    )
    assert "traded for" not in summary_markdown(fair, "case")


def test_summary_file_and_log_show_both_schedules(vpp_run: Path) -> None:
    """Profit beside share met, CO2, RFNBO and gas for both schedules, in summary.md and the log."""
    table = pd.read_csv(vpp_run / "comparison.csv", index_col="metric")
    text = (vpp_run / "summary.md").read_text(encoding="utf-8")
    messages = [r.getMessage() for r in LOG]
    with xr.open_dataset(vpp_run / "dispatch.nc", engine="h5netcdf") as ds:
        unserved = float(ds["unserved_hydrogen_mw"].sum())
    for schedule in ("optimised schedule", "rule-based dispatch"):
        (line,) = [m for m in messages if m.startswith(f"{schedule}: ")]
        assert f"- {line}" in text
        for words in ("operating profit", "hydrogen demand met", "CO2 emissions",
                      "RFNBO share of hydrogen", "natural gas used"):
            assert words in line, (schedule, words)
    (optimised,) = [m for m in messages if m.startswith("optimised schedule: ")]
    met = optimised.split("hydrogen demand met ")[1].split(";")[0]
    assert met.endswith(" MWh unserved)")
    if unserved > 1e-6:
        assert not met.startswith("100.00 %")
    else:
        assert met == "100.00 % (0 MWh unserved)"
    (difference,) = [r for r in LOG if r.getMessage().startswith("optimised - rule-based: ")]
    opt, ref = table["optimised"], table["rule_based"]
    less = opt["hydrogen_delivered_mwh"] < ref["hydrogen_delivered_mwh"] - 1e-6
    more_co2 = opt["co2_emissions_t"] > ref["co2_emissions_t"] + 1e-6
    drawn = opt["hydrogen_storage_change_mwh"] < ref["hydrogen_storage_change_mwh"] - 1e-6
    emptied = opt["battery_storage_change_mwh"] < ref["battery_storage_change_mwh"] - 1e-6
    assert ("delivers less hydrogen" in difference.getMessage()) == less
    assert ("emits more CO2" in difference.getMessage()) == more_co2
    assert ("less hydrogen in storage" in difference.getMessage()) == drawn
    assert ("less electricity in its batteries" in difference.getMessage()) == emptied
    traded = less or more_co2 or drawn or emptied
    assert difference.levelno == (logging.WARNING if traded else logging.INFO)
    assert set(SUMMARY_METRICS) <= set(table.index)


def test_profit_figure_shows_what_was_traded() -> None:
    """Below the profit: 98.95 % vs 99.93 % met with the unserved MWh, CO2 and gas bars."""
    from nzv_energy.vpp.figures import profit_comparison_figure

    fig = profit_comparison_figure(TRADED)
    by_title = {ax.get_title(): ax for ax in fig.axes}
    share = by_title["Hydrogen demand met"]
    assert [t.get_text() for t in share.texts] == [
        "98.95 %\n10,500 MWh unserved", "99.93 %\n700 MWh unserved",
    ]
    fig.draw_without_rendering()
    fmt = share.yaxis.get_major_formatter()
    assert fmt(99.93, 0) != fmt(100.0, 0)
    assert share.get_ylim()[0] < 98.95 and share.get_ylim()[1] > 100.0
    co2 = by_title["CO2 emissions"]
    assert [p.get_height() for p in co2.patches] == pytest.approx([2948.0, 1200.0])
    assert [t.get_text() for t in co2.texts] == ["2,948", "1,200"]
    gas = by_title["Natural gas used"]
    assert [p.get_height() for p in gas.patches] == pytest.approx([14_740.0, 6_000.0])
