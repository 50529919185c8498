"""District-heating networks of the plant sites (inputs/district_heat_networks.csv)."""

from __future__ import annotations

import csv

import pytest

from nzv_energy.errors import InputDataError
from nzv_energy.heat.demand import heat_demand_mw
from nzv_energy.heat.networks import COLUMNS, NETWORKS_FILE, read_networks
from nzv_energy.weather_try import read_try


@pytest.fixture(scope="module")
def networks():
    return read_networks()


def test_each_plant_site_feeds_its_towns(networks):
    # Jänschwalde: Cottbus and Peitz; Schwarze Pumpe: Spremberg and Hoyerswerda;
    # Boxberg: Weißwasser (stadtwerke-weisswasser.de)
    by_site = networks.groupby("site").groups
    assert set(by_site["jaenschwalde"]) == {"cottbus", "peitz"}
    assert set(by_site["schwarze_pumpe"]) == {"spremberg", "hoyerswerda"}
    assert set(by_site["boxberg"]) == {"weisswasser"}


def test_peaks_fit_the_published_capacities(networks):
    # Weißwasser: up to 40 MW from Boxberg + 25 MW gas heating plants + 3 MW_th gas engines
    assert networks.loc["weisswasser", "peak_mw_th"] <= 40 + 25 + 3
    # Hoyerswerda: the Zeißig peak plant adds at most 19 MW to the Schwarze Pumpe feed
    assert networks.loc["hoyerswerda", "peak_mw_th"] > 19
    # Cottbus: about half comes from Jänschwalde, the other half the HKW can make itself
    # (gas CHP about 120 MW_th + gas engines 50.5 MW_th + store 50 MW_th)
    assert networks.loc["cottbus", "peak_mw_th"] / 2 <= 120 + 50.5 + 50


def test_peaks_follow_the_demand_model_on_the_try(networks):
    # the note of every row: peak = the model's peak for its annual heat on the DWD TRY
    temperature = read_try(NETWORKS_FILE.parent / "TRY2010_04_Jahr.dat")["temp_air_degc"]
    for name, row in networks.iterrows():
        peak = heat_demand_mw(temperature, row["annual_heat_mwh"]).max()
        assert row["peak_mw_th"] == pytest.approx(peak, abs=0.5), name


def test_every_row_names_its_source(networks):
    assert (networks["source"].str.len() > 20).all()
    assert set(networks["basis"]) <= {"sourced", "derived", "assumed"}


def _write(tmp_path, change):
    rows = list(csv.DictReader(NETWORKS_FILE.open(encoding="utf-8")))
    change(rows[0])
    path = tmp_path / "networks.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r.update(site="lippendorf"), "cottbus.site"),
        (lambda r: r.update(annual_heat_mwh="600000"), "cottbus.annual_heat_mwh"),
        (lambda r: r.update(return_temperature_c="95"), "cottbus.return_temperature_c"),
        (lambda r: r.update(peak_mw_th="x"), "cottbus.peak_mw_th"),
        (lambda r: r.update(source=""), "cottbus.source"),
    ],
)
def test_bad_rows_are_refused_with_file_and_field(tmp_path, change, field):
    path = _write(tmp_path, change)
    with pytest.raises(InputDataError) as info:
        read_networks(path)
    assert info.value.field == field
    assert str(path) in str(info.value)
