"""Shared fixtures: paths to the shipped scenarios and a scenario-file writer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[..., Path]:
    """Write a scenario extending ``single_site_quick.yaml`` with the given overrides."""

    def _write(overrides: dict | str, name: str = "case.yaml", base: str | None = None) -> Path:
        path = tmp_path / name
        if isinstance(overrides, str):
            path.write_text(overrides, encoding="utf-8")
            return path
        data = {"extends": str(SCENARIOS / (base or "single_site_quick.yaml")), **overrides}
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        return path

    return _write
