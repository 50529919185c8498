"""Helpers of the sweep tests: write small sweep files next to the shipped scenarios."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
SWEEPS = ROOT / "sweeps"


def write_sweep(folder: Path, content: dict[str, Any] | str, name: str = "sweep.yaml") -> Path:
    """Write a sweep file; a mapping gets ``name`` and a ``base`` (single_site_quick) by default."""
    path = folder / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
        return path
    data = {"name": "t", "base": str(SCENARIOS / "single_site_quick.yaml"), **content}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
