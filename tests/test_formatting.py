"""How numbers read: shares never rounded away, counts as integers, money in MEUR.

The expected strings are written by hand from the rules in
:mod:`nzv_energy.report.formatting` (two decimals of percent, one of MEUR ...).
The report and ``compare`` tests feed them a share of 0.9995 (432 MWh of
864,000 MWh unserved) and check the text a reader sees.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nzv_energy.cli import main
from nzv_energy.report.compare import KPI_COLUMNS
from nzv_energy.report.formatting import (
    SHARE_TOLERANCE,
    format_cell,
    format_count,
    format_energy,
    format_eur_per_kg,
    format_frame,
    format_meur,
    format_mwh,
    format_share,
    runs_text,
    share_percent,
    text_table,
    tradeoffs,
)
from nzv_energy.report.report import ReportContent, markdown_to_html, render_markdown
from nzv_energy.scenario_file import load_scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"

#: 864,000 MWh of demand, 432 MWh unserved: 99.95 % met.
DEMAND_MWH = 864_000.0
UNSERVED_MWH = 432.0
SHARE = (DEMAND_MWH - UNSERVED_MWH) / DEMAND_MWH


def test_share_of_99_95_percent_reads_so() -> None:
    assert SHARE == pytest.approx(0.9995)
    assert format_share(SHARE) == "99.95 %"
    assert format_share(SHARE, UNSERVED_MWH) == "99.95 % (432 MWh unserved)"


@pytest.mark.parametrize(
    ("share", "text"),
    [
        (0.99996, "99.99 %"),  # rounds to 100.00, floored to the last step below
        (0.999951, "99.99 %"),
        (0.99994, "99.99 %"),  # ordinary rounding
        (0.9999999, "99.99 %"),
        (1.0, "100.00 %"),
        (1.0 - 1e-13, "100.00 %"),  # round-off of the sums, not a shortfall
        (0.0, "0.00 %"),
        (3e-7, "0.01 %"),  # something, never "0.00 %"
        (0.12345, "12.35 %"),
        (0.5, "50.00 %"),
    ],
)
def test_shares_never_round_onto_their_ends(share: float, text: str) -> None:
    assert format_share(share) == text


def test_a_shortfall_is_not_rounded_away() -> None:
    """0.99996 must not read 100.00 %; neither may a share of 1 with energy unserved."""
    assert "100.00" not in format_share(0.99996)
    assert format_share(0.99996, 3.5) == "99.99 % (3.5 MWh unserved)"
    assert format_share(1.0, 5.0) == "99.99 % (5.0 MWh unserved)"
    assert format_share(1.0, 1e-9) == "100.00 % (0 MWh unserved)"


@given(st.floats(min_value=0.0, max_value=1.0, allow_nan=False))
def test_shown_share_is_within_one_step_and_honest_at_the_ends(share: float) -> None:
    pct = share_percent(share)
    assert abs(pct - 100.0 * share) <= 0.01 + 1e-9
    assert pct == round(pct, 2)
    if pct == 100.0:
        assert share >= 1.0 - SHARE_TOLERANCE
    if pct == 0.0:
        assert share <= SHARE_TOLERANCE


def test_counts_money_energy_and_cost_per_kg() -> None:
    assert format_count(70.0) == "70"
    assert format_count(8318.721161) == "8,319"
    assert format_cell("electrolysis_starts", 70.0) == "70"
    assert format_cell("stack_replacements", 2.0) == "2"
    assert format_cell("electrolysis_full_load_hours_h", 8318.72) == "8,319"
    assert format_meur(117_600_000.0) == "117.6 MEUR"
    assert format_meur(16_940_000.0, signed=True) == "+16.9 MEUR"
    assert format_cell("system_cost_eur", 295_241_000.0) == "295.2"
    assert format_eur_per_kg(12.604) == "12.60 EUR/kg"
    assert format_cell("lcoh_eur_per_kg", 12.604) == "12.60"
    assert format_energy(431.9) == "432 MWh"
    assert format_energy(1_234_500.0, "MWh_H2") == "1,234.5 GWh_H2"
    assert format_energy(6_000.0, "MWh_th", like=14_740.0) == "6.0 GWh_th"  # same unit
    assert format_mwh(3.46) == "3.5"
    assert format_mwh(0.04) == "0.04"
    assert format_mwh(float("nan")) == "–"


def test_frame_puts_unserved_beside_the_share() -> None:
    kpis = pd.DataFrame(
        {"demand_met_share": [SHARE], "unserved_hydrogen_mwh": [UNSERVED_MWH],
         "electrolysis_starts": [70.0]},
        index=pd.Index([2019], name="weather_year"),
    )
    cells = format_frame(kpis)
    assert cells.loc[2019].tolist() == ["99.95 % (432 MWh unserved)", "432", "70"]


def test_text_table_splits_into_blocks_that_fit() -> None:
    cells = pd.DataFrame(
        [[f"{i * 1000:,} MWh" for i in range(12)]],
        index=["a quantity"],
        columns=[f"run_number_{i}" for i in range(12)],
    )
    text = text_table(cells, max_width=60)
    assert max(len(line) for line in text.splitlines()) <= 60
    for i in range(12):
        assert f"run_number_{i}" in text and f"{i * 1000:,} MWh" in text
    assert text.count("a quantity") == len(text.split("\n\n"))  # index repeated per block


def test_tradeoffs_name_less_hydrogen_more_co2_and_lower_rfnbo() -> None:
    reference = {"hydrogen_delivered_mwh": 1000.0, "demand_met_share": 0.9993,
                 "unserved_hydrogen_mwh": 0.7, "co2_emissions_t": 1200.0, "rfnbo_share": 1.0}
    row = {"hydrogen_delivered_mwh": 990.0, "demand_met_share": 0.9895,
           "unserved_hydrogen_mwh": 10.7, "co2_emissions_t": 2948.0, "rfnbo_share": 0.98}
    notes = tradeoffs(row, reference, "A", "B")
    assert notes == [
        "A delivers less hydrogen than B (98.95 % (11 MWh unserved) of demand met vs "
        "99.93 % (0.7 MWh unserved))",
        "A emits more CO2 than B (2,948 t vs 1,200 t, +1,748 t)",
        "A has a lower RFNBO share than B (98.00 % vs 100.00 %)",
    ]
    assert tradeoffs(reference, row, "B", "A") == []
    assert tradeoffs(reference, dict(reference), "B", "A") == []


# --------------------------------------------------------------------------- report


def _content(share: float, unserved: float) -> ReportContent:
    scenario = load_scenario(SCENARIOS / "single_site_quick.yaml")
    kpis = pd.DataFrame(
        {
            "hydrogen_delivered_mwh": [DEMAND_MWH - unserved],
            "demand_met_share": [share],
            "unserved_hydrogen_mwh": [unserved],
            "system_net_cost_per_kg_h2_eur_per_kg": [12.604],
            "electrolysis_starts": [70.0],
            "stack_replacements": [1.0],
        },
        index=pd.Index([2019], name="weather_year"),
    )
    return ReportContent(
        scenario=scenario,
        scenario_file="single_site_quick.yaml",
        scenario_sha256="0" * 64,
        sized_capacities=pd.DataFrame({"electrolysis_mw": [100.0]}, index=["boxberg"]),
        kpis=kpis,
        lcoh_breakdown=pd.DataFrame(),
        figures=[],
        optimised=False,
    )


def _kpi_row(markdown: str, label: str) -> str:
    rows = [line for line in markdown.splitlines() if line.startswith(f"| {label} |")]
    assert len(rows) == 1, (label, rows)
    return rows[0]


def test_report_shows_99_95_percent_with_the_unserved_mwh(tmp_path: Path) -> None:
    markdown = render_markdown(_content(SHARE, UNSERVED_MWH))
    row = _kpi_row(markdown, "share of hydrogen demand met")
    assert row == "| share of hydrogen demand met | 99.95 % (432 MWh unserved) |"
    assert _kpi_row(markdown, "electrolyser starts") == "| electrolyser starts | 70 |"
    assert "99.95 %" in _kpi_row(markdown, "share of demand met")  # the P10/P50/P90 table
    assert "| unserved hydrogen, MWh_H2 | 432 | 432 | 432 |" in markdown
    assert "| system net cost per kg H2, EUR/kg | 12.60 | 12.60 | 12.60 |" in markdown
    page = markdown_to_html(markdown, tmp_path, "report")
    assert "<td>share of hydrogen demand met</td><td>99.95 % (432 MWh unserved)</td>" in page
    assert "<td>electrolyser starts</td><td>70</td>" in page


def test_report_does_not_round_a_shortfall_away(tmp_path: Path) -> None:
    unserved = DEMAND_MWH * 0.00004
    markdown = render_markdown(_content(0.99996, unserved))
    row = _kpi_row(markdown, "share of hydrogen demand met")
    assert "100.00" not in row and "1.000" not in row
    assert "99.99 % (35 MWh unserved)" in row
    assert "100.00" not in markdown_to_html(markdown, tmp_path, "report")


# --------------------------------------------------------------------------- compare


def _results_folder(root: Path, name: str, share: float) -> Path:
    folder = root / name
    folder.mkdir()
    pd.DataFrame(
        {"wind_mw": [233.3], "pv_mw": [4503.3], "electrolysis_mw": [170.2],
         "battery_mwh": [5653.0], "hydrogen_storage_mwh": [2000.0]},
        index=pd.Index(["boxberg"], name="site"),
    ).to_csv(folder / "capacities.csv")
    unserved = DEMAND_MWH * (1.0 - share)
    pd.DataFrame(
        {"system_net_cost_per_kg_h2_eur_per_kg": [12.604], "demand_met_share": [share],
         "unserved_hydrogen_mwh": [unserved], "hydrogen_delivered_mwh": [DEMAND_MWH - unserved],
         "co2_emissions_t": [2948.0 if share < 0.9999 else 0.0], "rfnbo_share": [1.0],
         "gas_backup_natural_gas_mwh": [0.0], "curtailment_share": [0.1],
         "grid_import_mwh": [0.0], "grid_export_mwh": [3_670_272.2]},
        index=pd.Index([2019], name="weather_year"),
    ).to_csv(folder / "kpis.csv")
    return folder


def test_compare_prints_honest_shares_in_a_narrow_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folders = [
        _results_folder(tmp_path, "all_served_reference_run", 1.0),
        _results_folder(tmp_path, "short_by_432_mwh_run", SHARE),
        _results_folder(tmp_path, "short_by_a_little_run", 0.99996),
    ]
    code = main(["-q", "compare", *map(str, folders), "--out", str(tmp_path / "cmp")])
    assert code == 0
    text = capsys.readouterr().out
    table_text = text.split("comparison written to")[0]
    assert max(len(line) for line in table_text.splitlines()) <= 100
    text = " ".join(line.strip() for line in table_text.split("\n\n")[-1].splitlines())
    notes, text = text, table_text
    def values(label: str) -> list[str]:
        """Cells of one row, across the blocks the table was split into."""
        lines = [line for line in text.splitlines() if line.startswith(label)]
        return [v for line in lines for v in line[len(label):].split("  ") if v.strip()]

    assert [v.strip() for v in values("hydrogen demand met")] == ["100.00 %", "99.95 %", "99.99 %"]
    assert [v.strip() for v in values("unserved hydrogen, MWh_H2")] == ["0", "432", "35"]
    assert [v.strip() for v in values("electrolysis, MW")] == ["170.2"] * 3
    assert [v.strip() for v in values("system net cost per kg H2, EUR/kg")] == ["12.60"] * 3
    for column in ("CO2 emissions, t", "RFNBO share", "natural gas used, MWh_th"):
        assert column in text
    assert (
        "'short_by_432_mwh_run' delivers less hydrogen than 'all_served_reference_run' "
        "(99.95 % (432 MWh unserved) of demand met vs 100.00 % (0 MWh unserved))"
    ) in notes
    assert "'short_by_432_mwh_run' emits more CO2" in notes
    assert "'short_by_a_little_run' delivers less hydrogen" in notes
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv", index_col=0)
    assert table.loc["short_by_432_mwh_run", "demand_met_share"] == pytest.approx(SHARE)


def test_runs_text_keeps_every_run_within_the_width() -> None:
    runs = [f"a_rather_long_results_folder_name_{i}" for i in range(5)]
    table = pd.DataFrame(
        {"wind_mw": [100.0] * 5, "demand_met_share": [SHARE] * 5,
         "unserved_hydrogen_mwh": [UNSERVED_MWH] * 5,
         "system_net_cost_per_kg_h2_eur_per_kg": [5.0] * 5},
        index=runs,
    )
    text = runs_text(table, KPI_COLUMNS)
    assert max(len(line) for line in text.splitlines()) <= 100
    assert text.count("99.95 %") == 5
    assert all(run in text for run in runs)
    assert "note:" not in text  # equal runs: nothing traded
