"""Packaging: a non-editable install must ship every subpackage and the kernels."""

from __future__ import annotations

import tomllib

from .conftest import ROOT


def test_every_subpackage_is_listed_for_installation() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {
        "nzv_energy." + p.parent.name
        for p in (ROOT / "nzv_energy").glob("*/__init__.py")
    } | {"nzv_energy"}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert config["package-dir"]["nzv_energy.kernels"] == "kernels"
    assert (ROOT / "kernels" / "__init__.py").exists()


def test_console_script_points_at_the_cli() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["nzv"] == "nzv_energy.cli:main"
    from nzv_energy.cli import COMMANDS, build_parser

    # every command the parser offers has an implementation registered, and vice versa
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(sub.choices) == set(COMMANDS)
