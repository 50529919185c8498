"""How numbers are shown: one rule per kind of quantity, used by every report, table and figure.

The files of a results folder (``kpis.csv``, ``comparison.csv``, netCDF) keep
full precision; this module only decides how a value *reads*:

- shares (``*_share``): percent with two decimals, ``99.95 %``, and the
  unserved hydrogen in MWh beside the share of demand met;
- counts (starts, hours, stack replacements): integers, ``70``;
- money (``*_eur``): MEUR with one decimal, ``117.6 MEUR``;
- energy (``*_mwh``): MWh without decimals from 10 MWh on; sentences switch
  to GWh with one decimal from 10 GWh on;
- CO2 (``*_t``): tonnes without decimals, ``2,948 t``;
- costs per kg (``*_eur_per_kg``): two decimals, ``12.60 EUR/kg``.

Shares never round onto their ends
----------------------------------
A share strictly between 0 and 1 never reads ``100.00 %`` or ``0.00 %``:
rounded to two decimals as usual, except that a share that would round up to
100.00 % is shown as 99.99 % (it is floored to the last step below 100 %) and
one that would round down to 0.00 % is shown as 0.01 %.  The shown value is
then still within one step (0.01 percentage points) of the true one, and a
shortfall of 1 MWh in 1 TWh stays visible.  Shares within
:data:`SHARE_TOLERANCE` of 0 or 1 are read as exactly 0 or 1 (round-off of the
sums they come from), unless the unserved energy passed beside them is above
:data:`ENERGY_TOLERANCE_MWH`.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

#: Decimals of a share shown in percent.
SHARE_DECIMALS = 2

#: Distance from 0 or 1 below which a share is round-off of its sums, not a shortfall.
SHARE_TOLERANCE = 1e-9

#: Unserved energy below this, MWh, counts as none (round-off of hourly balances).
ENERGY_TOLERANCE_MWH = 1e-6

#: Energy from which sentences switch from MWh to GWh, MWh.
GWH_FROM_MWH = 10_000.0

_DASH = "–"


def _finite(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def share_percent(
    share: float, unserved_mwh: float | None = None, decimals: int = SHARE_DECIMALS
) -> float:
    """The share in percent as shown: rounded, but never onto 0 % or 100 % unless it is.

    Parameters
    ----------
    share
        Share as a fraction (1 = all).
    unserved_mwh
        Energy not served, MWh, if known; above :data:`ENERGY_TOLERANCE_MWH`
        the share never reads 100 %, however close to 1 it is.
    decimals
        Decimals of the percentage.

    Returns
    -------
    float
        Percentage rounded to ``decimals`` (NaN if ``share`` is not a number).
    """
    value = _finite(share)
    if value is None:
        return float("nan")
    short = unserved_mwh is not None and (_finite(unserved_mwh) or 0.0) > ENERGY_TOLERANCE_MWH
    step = 10.0**-decimals
    pct = round(100.0 * value, decimals)
    if (value < 1.0 - SHARE_TOLERANCE or short) and pct >= 100.0:
        return round(100.0 - step, decimals)
    if value > SHARE_TOLERANCE and pct <= 0.0:
        return step
    return pct


def format_share(
    share: float, unserved_mwh: float | None = None, decimals: int = SHARE_DECIMALS
) -> str:
    """A share as ``99.95 %``; with ``unserved_mwh``: ``99.95 % (432 MWh unserved)``."""
    pct = share_percent(share, unserved_mwh, decimals)
    if not math.isfinite(pct):
        return _DASH
    text = f"{pct:.{decimals}f} %"
    if unserved_mwh is not None:
        text += f" ({format_mwh(unserved_mwh)} MWh unserved)"
    return text


def format_mwh(mwh: float) -> str:
    """Energy in MWh as a number: none below 1e-6 MWh, 2 digits below 1, 1 decimal below 10."""
    value = _finite(mwh)
    if value is None:
        return _DASH
    size = abs(value)
    if size <= ENERGY_TOLERANCE_MWH:
        return "0"
    if size < 1.0:
        return f"{value:.2g}"
    if size < 10.0:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def format_energy(mwh: float, unit: str = "MWh", like: float | None = None) -> str:
    """Energy with its unit: ``432 MWh`` below 10 GWh, ``1,234.5 GWh`` from there on.

    ``unit`` names the MWh kind (``MWh_H2``, ``MWh_th``); its ``MWh`` becomes ``GWh``.
    ``like``: a value, MWh, shown beside this one; the larger of the two picks the
    unit, so both read in the same unit.
    """
    value = _finite(mwh)
    if value is None:
        return _DASH
    size = max(abs(value), abs(_finite(like) or 0.0))
    if size >= GWH_FROM_MWH:
        return f"{value / 1e3:,.1f} {unit.replace('MWh', 'GWh', 1)}"
    return f"{format_mwh(value)} {unit}"


def format_count(count: float) -> str:
    """A count (starts, hours, replacements) as an integer with thousands separators."""
    value = _finite(count)
    return _DASH if value is None else f"{value:,.0f}"


def format_meur(eur: float, signed: bool = False) -> str:
    """Money given in EUR as ``117.6 MEUR`` (``signed``: ``+16.9 MEUR``)."""
    value = _finite(eur)
    if value is None:
        return _DASH
    return f"{value / 1e6:{'+' if signed else ''},.1f} MEUR"


def format_tonnes(tonnes: float, signed: bool = False) -> str:
    """A mass in tonnes as ``2,948 t``."""
    value = _finite(tonnes)
    if value is None:
        return _DASH
    return f"{value:{'+' if signed else ''},.0f} t"


def format_eur_per_kg(value: float) -> str:
    """A cost per kg of hydrogen as ``12.60 EUR/kg``."""
    number = _finite(value)
    return _DASH if number is None else f"{number:.2f} EUR/kg"


# --------------------------------------------------------------------------- table cells

#: Column-name endings and how their cells read (first match wins; units stay in the label).
_CELL_RULES: tuple[tuple[str, Callable[[float], str]], ...] = (
    ("_share", format_share),
    ("_eur_per_kg", lambda v: _number(v, 2)),
    ("_eur_per_mwh", lambda v: _number(v, 1)),
    ("_eur_per_year", lambda v: _number(v / 1e6, 1)),
    ("_eur", lambda v: _number(v / 1e6, 1)),
    ("_starts", format_count),
    ("stack_replacements", format_count),
    ("_h", format_count),
    ("_hours", format_count),
    ("_cycles", lambda v: _number(v, 1)),
    ("_mwh", format_mwh),
    ("_t", format_count),
    ("_mw", lambda v: _number(v, 1)),
)


def _number(value: float, decimals: int) -> str:
    number = _finite(value)
    return _DASH if number is None else f"{number:,.{decimals}f}"


def format_cell(column: str, value: object) -> str:
    """One table cell of ``column`` (by its name's ending); money columns read in MEUR.

    Unknown columns get three significant digits.
    """
    if isinstance(value, str):
        return value
    number = _finite(value)
    if number is None:
        return _DASH
    for ending, rule in _CELL_RULES:
        if str(column).endswith(ending):
            return rule(number)
    return f"{number:,.3g}"


def format_frame(
    frame: pd.DataFrame, unserved_column: str = "unserved_hydrogen_mwh"
) -> pd.DataFrame:
    """Every cell of ``frame`` as text by its column name (:func:`format_cell`).

    The share of hydrogen demand met (``demand_met_share``) gets the unserved
    hydrogen of its row beside it when ``unserved_column`` is present.
    """
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        if column == "demand_met_share" and unserved_column in frame.columns:
            out[column] = [
                format_share(s, u)
                for s, u in zip(frame[column], frame[unserved_column], strict=True)
            ]
        else:
            out[column] = [format_cell(str(column), v) for v in frame[column]]
    return out


def format_rows(frame: pd.DataFrame, columns: Mapping[str, str]) -> pd.DataFrame:
    """Cells of a table whose *rows* are quantities, formatted by each row's column name.

    Parameters
    ----------
    frame
        Numbers; its index holds row labels.
    columns
        Row label -> column name whose rule applies (:func:`format_cell`);
        rows not listed get the generic rule.
    """
    out = frame.astype(object).copy()
    for row in frame.index:
        name = columns.get(str(row), "")
        out.loc[row] = [format_cell(name, v) for v in frame.loc[row]]
    return out


#: Labels of the columns most tables show (others: :func:`label`'s generic rule).
LABELS: dict[str, str] = {
    "lcoh_eur_per_kg": "LCOH, EUR/kg",
    "lcoh_chain_eur_per_kg": "hydrogen-chain LCOH, EUR/kg",
    "system_net_cost_per_kg_h2_eur_per_kg": "system net cost per kg H2, EUR/kg",
    "operating_profit_eur": "operating profit, MEUR",
    "variable_om_eur": "variable O&M, MEUR",
    "co2_cost_eur": "CO2 cost, MEUR",
    "battery_equivalent_cycles": "battery equivalent full cycles",
    "demand_met_share": "hydrogen demand met",
    "hydrogen_delivered_mwh": "hydrogen delivered, MWh_H2",
    "unserved_hydrogen_mwh": "unserved hydrogen, MWh_H2",
    "co2_emissions_t": "CO2 emissions, t",
    "rfnbo_share": "RFNBO share of hydrogen",
    "curtailment_share": "curtailment share",
    "gas_backup_mwh": "gas units' output, MWh",
    "gas_backup_natural_gas_mwh": "natural gas used, MWh_th",
    "grid_import_mwh": "grid import, MWh",
    "grid_export_mwh": "grid export, MWh",
    "system_cost_eur": "system cost, MEUR",
}

_UNIT_ENDINGS: tuple[tuple[str, str], ...] = (
    ("_eur_per_kg", "EUR/kg"),
    ("_eur_per_mwh", "EUR/MWh"),
    ("_eur_per_year", "MEUR/a"),
    ("_eur", "MEUR"),
    ("_mwh", "MWh"),
    ("_mw", "MW"),
    ("_share", ""),
    ("_t", "t"),
    ("_h", "h"),
)


def label(column: str) -> str:
    """Readable label of a column with the unit its cells are shown in (``wind, MW``)."""
    if column in LABELS:
        return LABELS[column]
    for ending, unit in _UNIT_ENDINGS:
        if column.endswith(ending):
            text = column[: -len(ending)].replace("_", " ")
            return f"{text}, {unit}" if unit else text
    return column.replace("_", " ")


def text_table(
    frame: pd.DataFrame, max_width: int = 100, index_title: str = ""
) -> str:
    """Plain-text table of text cells, split into column blocks no wider than ``max_width``.

    The first column (the index) repeats in every block; a block holds at
    least one data column even if that is wider.
    """
    names = [str(i) for i in frame.index]
    first = max([len(index_title), *map(len, names)], default=0)
    cols = [str(c) for c in frame.columns]
    widths = [
        max([len(c), *(len(str(v)) for v in frame.iloc[:, k])]) for k, c in enumerate(cols)
    ]
    blocks: list[list[int]] = []
    used = first
    for k, w in enumerate(widths):
        if not blocks or used + 2 + w > max_width:
            blocks.append([])
            used = first
        blocks[-1].append(k)
        used += 2 + w
    parts = []
    for block in blocks:
        lines = [index_title.ljust(first) + "".join("  " + cols[k].rjust(widths[k]) for k in block)]
        for r, name in enumerate(names):
            cells = "".join("  " + str(frame.iloc[r, k]).rjust(widths[k]) for k in block)
            lines.append(name.ljust(first) + cells)
        parts.append("\n".join(line.rstrip() for line in lines))
    return "\n\n".join(parts)


# --------------------------------------------------------------------------- trade-offs


def _more(a: float, b: float) -> bool:
    """``a`` is larger than ``b`` beyond round-off."""
    return a - b > 1e-9 * max(abs(a), abs(b)) + ENERGY_TOLERANCE_MWH


def tradeoffs(
    row: Mapping[str, float], reference: Mapping[str, float], name: str, reference_name: str
) -> list[str]:
    """What ``row`` gives up against ``reference``: less hydrogen, more CO2, lower RFNBO share.

    Parameters
    ----------
    row, reference
        Values by column name (``hydrogen_delivered_mwh``, ``demand_met_share``,
        ``unserved_hydrogen_mwh``, ``co2_emissions_t``, ``rfnbo_share``; absent
        ones are skipped).
    name, reference_name
        How the sentences name the two.

    Returns
    -------
    list of str
        One sentence per trade-off, empty when ``row`` is no worse on any.
    """

    def get(m: Mapping[str, float], key: str) -> float | None:
        return _finite(m.get(key)) if key in m else None

    out = []
    delivered, ref_delivered = get(row, "hydrogen_delivered_mwh"), get(
        reference, "hydrogen_delivered_mwh"
    )
    if delivered is not None and ref_delivered is not None and _more(ref_delivered, delivered):
        share, ref_share = get(row, "demand_met_share"), get(reference, "demand_met_share")
        unserved, ref_unserved = get(row, "unserved_hydrogen_mwh"), get(
            reference, "unserved_hydrogen_mwh"
        )
        detail = f"{format_mwh(ref_delivered - delivered)} MWh_H2 less"
        if share is not None and ref_share is not None:
            detail = (
                f"{format_share(share, unserved)} of demand met vs "
                f"{format_share(ref_share, ref_unserved)}"
            )
        out.append(f"{name} delivers less hydrogen than {reference_name} ({detail})")
    co2, ref_co2 = get(row, "co2_emissions_t"), get(reference, "co2_emissions_t")
    if co2 is not None and ref_co2 is not None and _more(co2, ref_co2):
        out.append(
            f"{name} emits more CO2 than {reference_name} "
            f"({format_tonnes(co2)} vs {format_tonnes(ref_co2)}, "
            f"{format_tonnes(co2 - ref_co2, signed=True)})"
        )
    rfnbo, ref_rfnbo = get(row, "rfnbo_share"), get(reference, "rfnbo_share")
    if rfnbo is not None and ref_rfnbo is not None and ref_rfnbo - rfnbo > SHARE_TOLERANCE:
        out.append(
            f"{name} has a lower RFNBO share than {reference_name} "
            f"({format_share(rfnbo)} vs {format_share(ref_rfnbo)})"
        )
    return out


def summary_line(
    row: Mapping[str, float], keys: Sequence[str], like: Mapping[str, float] | None = None
) -> str:
    """``key figure value; ...`` for the listed columns present in ``row``.

    ``like``: the row shown beside this one; energies then read in the same unit.
    """
    parts = []
    for key in keys:
        if key not in row:
            continue
        value = row[key]
        other = like.get(key) if like is not None else None
        if key == "demand_met_share":
            text = format_share(value, row.get("unserved_hydrogen_mwh"))
        elif key.endswith("_eur"):
            text = format_meur(value)
        elif key.endswith("_t"):
            text = format_tonnes(value)
        elif key.endswith("_share"):
            text = format_share(value)
        elif key.endswith("_eur_per_kg"):
            text = format_eur_per_kg(value)
        elif key == "gas_backup_natural_gas_mwh":
            text = format_energy(value, "MWh_th", other)
        elif key.endswith("_mwh"):
            text = format_energy(value, "MWh_H2" if "hydrogen" in key else "MWh", other)
        else:
            text = format_cell(key, value)
        parts.append(f"{label(key).split(',')[0]} {text}")
    return "; ".join(parts)



_NUMBER_AND_UNIT = re.compile(r"(\d) (%|MWh|GWh|t\b|MEUR|EUR)")


def _wrap(text: str, width: int) -> str:
    """Wrap a sentence without parting a number from its unit."""
    glued = _NUMBER_AND_UNIT.sub("\\1\u00a0\\2", text)
    return textwrap.fill(glued, width, subsequent_indent="  ").replace("\u00a0", " ")


def runs_text(table: pd.DataFrame, kpi_columns: Sequence[str], max_width: int = 100) -> str:
    """Several runs side by side as text, one column per run, no wider than ``max_width``.

    Parameters
    ----------
    table
        One row per run (index: run name); capacity columns summed over sites
        and the key figures in ``kpi_columns`` (mean over weather years).
    kpi_columns
        Which columns are key figures (the others are capacities).
    max_width
        Width of the text; more runs than fit are split into blocks.

    Returns
    -------
    str
        Capacities, key figures (the unserved hydrogen right below the share
        of demand met) and, for every run, what it gives up against the first
        run (:func:`tradeoffs`).
    """
    kpis = [c for c in kpi_columns if c in table.columns]
    if "demand_met_share" in kpis and "unserved_hydrogen_mwh" in kpis:
        kpis.remove("unserved_hydrogen_mwh")
        kpis.insert(kpis.index("demand_met_share") + 1, "unserved_hydrogen_mwh")
    caps = [c for c in table.columns if c not in kpi_columns]
    runs = [str(r) for r in table.index]
    parts = []
    for title, columns in (
        ("capacity, all sites", caps),
        ("mean of weather years", kpis),
    ):
        if not columns:
            continue
        cells = pd.DataFrame(
            [[format_cell(c, table.loc[r, c]) for r in table.index] for c in columns],
            index=[label(c) for c in columns],
            columns=runs,
        )
        parts.append(text_table(cells, max_width, index_title=title))
    first = table.index[0]
    notes = []
    for run in table.index[1:]:
        notes += tradeoffs(table.loc[run], table.loc[first], f"'{run}'", f"'{first}'")
    if notes:
        parts.append("\n".join(_wrap(f"note: {n}", max_width) for n in notes))
    return "\n\n".join(parts)


def markdown_table(frame: pd.DataFrame, floatfmt: str = "{:,.1f}") -> str:
    """A DataFrame as a Markdown table (index as the first column).

    Floats are written with ``floatfmt`` (a dash where not finite), everything else
    as text: format shares, counts and money with the functions above first.
    """
    cols = [frame.index.name or "", *map(str, frame.columns)]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for idx, row in frame.iterrows():
        cells = [str(idx)]
        for value in row:
            if isinstance(value, float | np.floating):
                cells.append(floatfmt.format(value) if np.isfinite(value) else _DASH)
            else:
                cells.append(str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
