"""Energy carriers and technologies: one nice name and one colour each, for every output.

The keys are the carrier names of the PyPSA network (:mod:`nzv_energy.sizing.network`:
``wind``, ``solar``, ``battery``, ``electrolysis``, ``hydrogen storage``,
``pipeline``, ``gas backup``, ``natural gas``, ``grid``, ``electricity``,
``hydrogen``) plus the flows and cost items the figures draw beside them
(``battery charge``, ``grid export``, ``curtailment``, ``local demand``,
``unserved hydrogen``, ``fixed O&M`` ...).  The figures
(:mod:`nzv_energy.report.figures`) and the network's ``Carrier`` table take
their names and colours from :data:`CARRIERS`, so a technology looks the same
in every chart, in ``network.nc`` and in ``n.plot()``.

No two entries share a colour: every pair differs by at least
:data:`MIN_COLOUR_DISTANCE` in CIELAB (ΔE*76), so a stacked bar of cost
components or a dispatch plot never shows two items in one colour.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

#: Smallest CIELAB distance (ΔE*76) between any two colours of :data:`CARRIERS`.
MIN_COLOUR_DISTANCE = 12.0


@dataclass(frozen=True)
class Carrier:
    """How one carrier or technology is named and drawn.

    Attributes
    ----------
    nice_name
        Name shown in legends and tables (PyPSA's ``Carrier.nice_name``).
    color
        Hex colour (PyPSA's ``Carrier.color``).
    """

    nice_name: str
    color: str


#: Carrier (network name) -> nice name and colour.
CARRIERS: dict[str, Carrier] = {
    "wind": Carrier("Onshore wind", "#3274b8"),
    "solar": Carrier("PV", "#f2b701"),
    "battery": Carrier("Battery", "#7e57c2"),
    "battery charge": Carrier("Battery charge", "#c3b1e1"),
    "electrolysis": Carrier("Electrolysis", "#1a9e77"),
    "stack replacement": Carrier("Stack replacement", "#66c2a5"),
    "hydrogen storage": Carrier("H2 storage", "#17becf"),
    "pipeline": Carrier("H2 pipeline", "#9edae5"),
    "hydrogen": Carrier("Hydrogen", "#0b6e4f"),
    "unserved hydrogen": Carrier("Unserved hydrogen", "#d62728"),
    "gas backup": Carrier("Gas backup", "#c0392b"),
    "natural gas": Carrier("Natural gas", "#e8837a"),
    "co2": Carrier("CO2 price", "#5b5b5b"),
    "grid": Carrier("Grid import", "#8c8c8c"),
    "grid export": Carrier("Grid export", "#08306b"),
    "electricity": Carrier("Electricity", "#fdd0a2"),
    "curtailment": Carrier("Curtailment", "#f28e2b"),
    "local demand": Carrier("Local demand", "#6d4c41"),
    "chp": Carrier("CHP", "#d95f02"),
    "heat pump": Carrier("Heat pumps", "#648fff"),
    "waste heat booster": Carrier("Waste-heat boosters", "#00c2a0"),
    "electric boiler": Carrier("Electric boilers", "#b15928"),
    "fixed O&M": Carrier("Fixed O&M", "#a6761d"),
    "variable O&M": Carrier("Variable O&M", "#e7298a"),
}


def nice_name(carrier: str) -> str:
    """Nice name of a carrier; unknown carriers read as their name with a capital."""
    entry = CARRIERS.get(carrier)
    return entry.nice_name if entry is not None else carrier.replace("_", " ").capitalize()


def color(carrier: str) -> str:
    """Colour of a carrier (:data:`CARRIERS`); raises ``KeyError`` for unknown carriers."""
    return CARRIERS[carrier].color


def carrier_table(names: list[str] | None = None) -> pd.DataFrame:
    """The carriers as a table with PyPSA's ``Carrier`` columns ``nice_name`` and ``color``.

    Parameters
    ----------
    names
        Carriers to include (default all), e.g. the carriers a network uses;
        unknown names get :func:`nice_name` and an empty colour.

    Returns
    -------
    pandas.DataFrame
        Index: carrier; columns ``nice_name`` and ``color`` (ready for
        ``n.add("Carrier", table.index, **table)``).
    """
    keys = list(CARRIERS) if names is None else list(names)
    return pd.DataFrame(
        {
            "nice_name": [nice_name(k) for k in keys],
            "color": [CARRIERS[k].color if k in CARRIERS else "" for k in keys],
        },
        index=pd.Index(keys, name="carrier"),
    )
