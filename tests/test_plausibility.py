"""Plausibility warnings: valid but implausible locations are reported, the run goes on."""

from __future__ import annotations

import logging
import math
import os
import subprocess
import sys

import pytest

from nzv_energy.cli import main
from nzv_energy.scenario_file import load_scenario
from nzv_energy.validation import pipeline_lengths_km, plausibility_warnings

from .conftest import ROOT, SCENARIOS

BOXBERG = {"lat": 51.416, "lon": 14.562}
SWAPPED = {"lat": 14.562, "lon": 51.416}


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance on a sphere of radius 6,371 km (written out for the test)."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _reasons(message: str) -> str:
    """The reasons part of a message: between the value and what was expected."""
    return message.split("; ", 1)[1].split(": expected")[0]


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_swapped_lat_lon_of_a_site_is_a_warning_naming_file_field_and_value(
    write_scenario, caplog, capsys
) -> None:
    path = write_scenario({"sites": {"boxberg": {"location": SWAPPED}}})
    with caplog.at_level(logging.WARNING, logger="nzv_energy"):
        code = main(["validate", str(path)])
    assert code == 0  # a warning, not an error: the scenario is valid
    assert "valid scenario" in capsys.readouterr().out
    (message,) = _warnings(caplog)
    assert str(path) in message
    assert "sites.boxberg.location" in message
    assert "{lat: 14.562, lon: 51.416}" in message
    assert "lat and lon swapped" in message
    # 14.562 N 51.416 E lies in the Arabian Sea, some 5,000 km from the Lausitz
    to_centre = haversine_km(14.562, 51.416, 51.45, 14.30)
    assert f"{to_centre:,.0f} km from the Lausitz" in _reasons(message)


def test_swapped_demand_location_warns_for_it_and_for_every_pipeline(write_scenario) -> None:
    path = write_scenario(
        {"hydrogen": {"demand": {"location": {"lat": 13.889, "lon": 51.476}}}}
    )
    scenario = load_scenario(path)
    messages = plausibility_warnings(scenario, path)
    fields = sorted(m.split(": ")[1] for m in messages)
    assert fields == ["hydrogen.demand.location", "sites.boxberg.location"]
    site_message = next(m for m in messages if "sites.boxberg" in m)
    # the site itself is in the Lausitz; its pipeline to the swapped demand is not
    assert "from the Lausitz" not in _reasons(site_message)
    expected = 1.25 * haversine_km(51.416, 14.562, 13.889, 51.476)
    assert f"pipeline {expected:,.0f} km" in site_message


def test_a_site_far_from_the_others_is_reported_once(write_scenario) -> None:
    # a second site at Munich (48.14 N, 11.58 E): outside the region, far from the demand
    # and from boxberg; boxberg itself stays unreported
    munich = {"location": {"lat": 48.14, "lon": 11.58}, "grid_connection_mw": 100}
    path = write_scenario({"sites": {"munich": munich}})
    messages = plausibility_warnings(load_scenario(path), path)
    assert len(messages) == 1
    (message,) = messages
    assert "sites.munich.location" in message
    to_centre = haversine_km(48.14, 11.58, 51.45, 14.30)
    to_demand = haversine_km(48.14, 11.58, 51.476, 13.889)
    assert _reasons(message) == (
        f"{to_centre:,.0f} km from the Lausitz, {to_demand:,.0f} km from the demand at "
        f"schwarzheide (pipeline {1.25 * to_demand:,.0f} km)"
    )
    assert "swapped" not in message


def test_two_sites_in_the_region_but_far_apart_are_reported_once() -> None:
    # Two sites on the meridian of the centre (14.30 E), the demand at the centre. At 50.90
    # and 51.95 N (Zittau's and Guben's latitudes) they lie 61 and 56 km from it and 117 km
    # apart: nothing to report. At 50.60 and 52.30 N both are still 94.5 km from the centre
    # (0.85 deg x 111.19 km) and from the demand, but 189 km apart: the later site is
    # reported, naming the earlier one.
    import yaml

    from nzv_energy.scenario_file import scenario_from_mapping

    def scenario(south: float, north: float):
        raw = yaml.safe_load((SCENARIOS / "single_site_quick.yaml").read_text())
        site = raw["sites"]["boxberg"]
        raw["sites"] = {
            "south": {**site, "location": {"lat": south, "lon": 14.30}},
            "north": {**site, "location": {"lat": north, "lon": 14.30}},
        }
        raw["hydrogen"]["storage_mwh"] = {}
        raw["hydrogen"]["demand"]["location"] = {"lat": 51.45, "lon": 14.30}
        return scenario_from_mapping(raw)

    assert plausibility_warnings(scenario(50.90, 51.95), None) == []
    (message,) = plausibility_warnings(scenario(50.60, 52.30), None)
    assert message.startswith("sites.north.location: got {lat: 52.3, lon: 14.3}; ")
    assert _reasons(message) == f"{1.70 * 6371.0 * math.pi / 180:,.0f} km from site south"


@pytest.mark.parametrize(
    ("lat", "lon", "reported"),
    [
        (51.45 + 95 / 111.19, 14.30, False),  # 95 km north of the centre: inside the radius
        (51.45 + 105 / 111.19, 14.30, True),  # 105 km north: outside
    ],
)
def test_region_radius_is_100_km_from_the_centre(write_scenario, lat, lon, reported) -> None:
    # one degree of latitude is 6371 x pi / 180 = 111.19 km on the sphere used; the site is
    # moved with the demand (site and demand 0 km apart) so that only the radius decides
    loc = {"lat": lat, "lon": lon}
    path = write_scenario(
        {"sites": {"boxberg": {"location": loc}}, "hydrogen": {"demand": {"location": loc}}}
    )
    messages = plausibility_warnings(load_scenario(path), path)
    assert bool(messages) is reported


def test_summary_shows_the_pipeline_length_of_each_site(capsys) -> None:
    code = main(["summary", str(SCENARIOS / "lausitz_2030.yaml")])
    assert code == 0
    out = capsys.readouterr().out
    header, *rows = out.split("\n\n")[0].splitlines()[1:]
    column = header.split().index("pipeline_km")
    shown = {row.split()[0]: float(row.split()[column]) for row in rows}
    # route factor 1.25 x great circle to Schwarzheide (51.476 N, 13.889 E)
    sites = {
        "jaenschwalde": (51.834, 14.459),
        "schwarze_pumpe": (51.535, 14.353),
        "boxberg": (51.416, 14.562),
    }
    for name, (lat, lon) in sites.items():
        assert shown[name] == pytest.approx(1.25 * haversine_km(lat, lon, 51.476, 13.889), abs=0.05)
    assert pipeline_lengths_km(load_scenario(SCENARIOS / "lausitz_2030.yaml")) == pytest.approx(
        {n: 1.25 * haversine_km(*ll, 51.476, 13.889) for n, ll in sites.items()}, rel=1e-12
    )


def test_the_warning_reaches_the_users_terminal_and_the_exit_status_is_0(write_scenario) -> None:
    path = write_scenario({"sites": {"boxberg": {"location": SWAPPED}}})
    proc = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "summary", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if " WARNING " in line]
    assert len(warnings) == 1 and "sites.boxberg.location" in warnings[0], proc.stderr
    # the summary's table shows the 6,600 km pipeline the swap implies
    assert f"{1.25 * haversine_km(14.562, 51.416, 51.476, 13.889):.1f}" in proc.stdout
