"""The interactive results page: contents from the results files, reproducible bytes, and a
real headless Chromium that renders it, draws every chart and switches the site.

The browser is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
commands on file descriptor 3, answers on 4, each a NUL-terminated JSON message), so no
driver or extra package is needed.  Without a browser the browser test is skipped, except
under ``CI=true``, where it fails.
"""

from __future__ import annotations

import base64
import fcntl
import json
import math
import os
import select
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from nzv_energy.errors import NzvInputError
from nzv_energy.report.page import CHART_IDS, PAGE_NAME, build_page, write_page
from nzv_energy.report.pipeline import run_scenario
from nzv_energy.scenario_file import load_scenario

from .conftest import SCENARIOS

FIXED = SCENARIOS / "lausitz_2030_fixed.yaml"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
#: Waiting for the browser (not a timed assertion: only how long to wait before giving up), s.
WAIT_S = 120.0


@pytest.fixture(scope="module")
def fixed_run(tmp_path_factory: pytest.TempPathFactory):
    """``run`` of the three-site fixed scenario (no sizing: a few seconds)."""
    return run_scenario(FIXED, out_dir=tmp_path_factory.mktemp("page") / "fixed")


# --------------------------------------------------------------------------- page contents


def test_run_writes_the_page_and_the_same_results_give_the_same_bytes(
    fixed_run, tmp_path: Path
) -> None:
    page = fixed_run.out_dir / PAGE_NAME
    written = page.read_bytes()
    assert written.startswith(b"<!DOCTYPE html>")
    # written again from a copy of the folder elsewhere: no ids, times or paths differ
    copy = tmp_path / "copy"
    shutil.copytree(fixed_run.out_dir, copy)
    (copy / PAGE_NAME).unlink()
    assert write_page(copy).read_bytes() == written
    assert write_page(copy).read_bytes() == written
    text = written.decode("utf-8")
    assert str(fixed_run.out_dir) not in text
    # self-contained: no script or style loaded from elsewhere
    assert "<script src" not in text and "<link " not in text
    for chart in CHART_IDS:
        assert f'id="{chart}"' in text


def _great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Central angle by the spherical law of cosines (another formula than the code's)."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    cos_angle = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return 6371.0 * math.acos(min(1.0, cos_angle))


def test_map_states_each_pipeline_route_length(fixed_run) -> None:
    text = (fixed_run.out_dir / PAGE_NAME).read_text(encoding="utf-8")
    scenario = load_scenario(FIXED)
    demand = scenario.hydrogen.demand.location
    route = scenario.technology.pipeline.route_factor
    assert route > 1.0
    for site in scenario.sites.values():
        km = route * _great_circle_km(site.location.lat, site.location.lon, demand.lat, demand.lon)
        assert 10.0 < km < 150.0
        assert f'"text":"{km:.1f} km"' in text


def test_kpi_table_lists_every_column_of_kpis_csv(fixed_run) -> None:
    text = (fixed_run.out_dir / PAGE_NAME).read_text(encoding="utf-8")
    columns = pd.read_csv(fixed_run.out_dir / "kpis.csv", index_col=0).columns
    assert len(columns) > 20
    for column in columns:
        assert f"<code>{column}</code>" in text


def test_missing_folder_or_file_is_an_input_error(fixed_run, tmp_path: Path) -> None:
    with pytest.raises(NzvInputError, match="results folder"):
        build_page(tmp_path / "nowhere")
    copy = tmp_path / "copy"
    shutil.copytree(fixed_run.out_dir, copy)
    (copy / "dispatch.nc").unlink()
    with pytest.raises(NzvInputError, match=r"dispatch\.nc: got 'missing'"):
        build_page(copy)


# --------------------------------------------------------------------------- headless browser


def _browser_or_fail() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    message = f"no headless browser found ({', '.join(BROWSERS)}); apt-get install chromium"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


class DevTools:
    """A headless Chromium driven over the DevTools protocol on a pipe."""

    def __init__(self, executable: str, profile: Path, log_file: Path) -> None:
        commands_r, self._w = os.pipe()
        self._r, answers_w = os.pipe()
        # move the child's ends above 3 and 4 first, so mapping them there cannot clash
        child_r = fcntl.fcntl(commands_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_w = fcntl.fcntl(answers_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(commands_r)
        os.close(answers_w)
        args = [
            executable, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank",
        ]
        actions = [
            (os.POSIX_SPAWN_DUP2, child_r, 3),
            (os.POSIX_SPAWN_DUP2, child_w, 4),
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_OPEN, 2, str(log_file), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        ]
        self.pid = os.posix_spawn(executable, args, dict(os.environ), file_actions=actions)
        os.close(child_r)
        os.close(child_w)
        self._buffer = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    def _message(self) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT_S
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the browser did not answer")
            if select.select([self._r], [], [], left)[0]:
                chunk = os.read(self._r, 1 << 20)
                if not chunk:
                    raise RuntimeError("the browser closed the pipe")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return dict(json.loads(raw))

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if self.session and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self.session
        os.write(self._w, json.dumps(message).encode("utf-8") + b"\0")
        while True:
            answer = self._message()
            if answer.get("id") == self._id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return dict(answer["result"])
            self.events.append(answer)

    def wait_for(self, event: str) -> dict[str, Any]:
        for i, seen in enumerate(self.events):
            if seen.get("method") == event:
                return self.events.pop(i)
        while True:
            message = self._message()
            if message.get("method") == event:
                return message
            self.events.append(message)

    def evaluate(self, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:60]}...: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str, width: int = 1300, height: int = 900) -> None:
        targets = self.send("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.send(
            "Target.attachToTarget", {"targetId": page["targetId"], "flatten": True}
        )["sessionId"]
        for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
            self.send(domain)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def click(self, x: float, y: float) -> None:
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
            )

    def errors(self) -> list[dict[str, Any]]:
        """Uncaught exceptions, console errors and browser log errors seen so far."""
        found = []
        for event in self.events:
            method = event.get("method")
            params = event.get("params", {})
            console = params.get("type") in ("error", "assert")
            if (
                method == "Runtime.exceptionThrown"
                or (method == "Runtime.consoleAPICalled" and console)
                or (method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error")
            ):
                found.append(event)
        return found

    def close(self) -> None:
        try:
            self.send("Browser.close")
        finally:
            os.close(self._w)
            os.close(self._r)
            os.waitpid(self.pid, 0)


#: Drawn marks per chart: path elements of lines, filled areas, markers and bars with a shape.
_COUNT_DRAWN = """
Object.fromEntries(Array.from(document.querySelectorAll('.js-plotly-plot')).map(g => [g.id,
  Array.from(g.querySelectorAll(
    '.scatterlayer .trace path.js-line, .scatterlayer .trace path.js-fill, '
    + '.scatterlayer .trace path.point, .barlayer .point path'))
  .filter(p => (p.getAttribute('d') || '').length > 8 && p.getAttribute('d') !== 'M0,0Z')
  .length]))
"""

#: Site, variable and drawn outline of each visible trace of the dispatch chart.
_VISIBLE_DISPATCH = """
(() => { const g = document.getElementById('dispatch');
  const traces = Array.from(g.querySelectorAll('.scatterlayer .trace'));
  return g._fullData.filter(t => t.visible === true).map((t, i) => ({
    site: t.meta.site || null, variable: t.meta.variable, sign: t.meta.sign || 1,
    y: Array.from(t.y),
    d: (traces[i] && traces[i].querySelector('path.js-fill, path.js-line')
        || {getAttribute: () => ''}).getAttribute('d')}));
})()
"""

_CENTRE = """
(() => { const r = document.querySelector(%s).getBoundingClientRect();
  return [r.x + r.width / 2, r.y + r.height / 2]; })()
"""

_NEXT_FRAME = "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(1))))"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    executable = _browser_or_fail()
    folder = tmp_path_factory.mktemp("browser")
    tools = DevTools(executable, folder / "profile", folder / "chromium.log")
    yield tools
    tools.close()


def test_page_renders_in_headless_chromium_and_switches_site(
    fixed_run, browser: DevTools, tmp_path: Path
) -> None:
    with xr.open_dataset(fixed_run.out_dir / "dispatch.nc") as opened:
        ds = opened.load()
    sites = [str(s) for s in ds["site"].values]
    assert len(sites) == 3
    browser.open((fixed_run.out_dir / PAGE_NAME).resolve().as_uri())
    browser.evaluate(_NEXT_FRAME)

    # every chart has drawn data
    drawn = browser.evaluate(_COUNT_DRAWN)
    assert set(drawn) == set(CHART_IDS)
    for chart in CHART_IDS:
        assert drawn[chart] > 0, chart

    # the dispatch chart shows the first site's hours as in dispatch.nc (32-bit floats)
    def check_visible(site: str) -> list[str]:
        visible = browser.evaluate(_VISIBLE_DISPATCH)
        shown = {v["site"] for v in visible if v["site"] is not None}
        assert shown == {site}
        for trace in visible:
            values = ds[trace["variable"]]
            expected = (values.sel(site=site) if "site" in values.dims else values).values
            assert len(trace["y"]) == ds.sizes["time"]
            np.testing.assert_allclose(
                np.asarray(trace["y"]) * trace["sign"], expected, rtol=1e-6, atol=1e-4
            )
        assert any(v["variable"] == "wind_mw" for v in visible)
        return [v["d"] for v in visible]

    first = check_visible(sites[0])
    screenshot = tmp_path / "dispatch.png"
    rect = browser.evaluate(
        "(() => { const g = document.getElementById('dispatch'); g.scrollIntoView();"
        " const r = g.getBoundingClientRect();"
        " return [r.x + window.scrollX, r.y + window.scrollY, r.width, r.height]; })()"
    )
    browser.evaluate(_NEXT_FRAME)
    shot = browser.send(
        "Page.captureScreenshot",
        {"format": "png", "captureBeyondViewport": True,
         "clip": {"x": rect[0], "y": rect[1], "width": rect[2], "height": rect[3], "scale": 1}},
    )
    screenshot.write_bytes(base64.b64decode(shot["data"]))
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 20_000  # a drawn chart, not a blank image

    # switch to the second site with the page's own menu, clicked like a user would
    browser.click(*browser.evaluate(_CENTRE % "'#dispatch .updatemenu-header'"))
    browser.evaluate(_NEXT_FRAME)
    buttons = browser.evaluate(
        "Array.from(document.querySelectorAll('#dispatch .updatemenu-dropdown-button'))"
        ".map(b => b.textContent)"
    )
    assert len(buttons) == len(sites)
    browser.click(*browser.evaluate(
        _CENTRE % "'#dispatch .updatemenu-dropdown-button:nth-of-type(2)'"
    ))
    browser.evaluate(_NEXT_FRAME)
    second = check_visible(sites[1])
    assert first != second
    assert browser.evaluate(
        "document.querySelector('#dispatch .gtitle').textContent"
    ).endswith(buttons[1])

    assert browser.errors() == []
