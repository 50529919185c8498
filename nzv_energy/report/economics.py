"""The report's economics section: cost account, three LCOH figures, published ranges.

Data first (:func:`reconciliation_table`, :func:`lp_kpi_columns`), Markdown
second (:func:`economics_section`).  Formulas: ``docs/optimisation.md``
("One cost account", "Three LCOH figures").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nzv_energy.report.formatting import markdown_table
from nzv_energy.sizing.solution import ACCOUNT_ITEMS, marginal_cost_kpis


@dataclass(frozen=True)
class PublishedRange:
    """A published range of the levelised cost of renewable hydrogen, EUR/kg (LHV)."""

    low_eur_per_kg: float
    high_eur_per_kg: float
    year: int
    scope: str
    source: str


#: Published LCOH ranges around 2030, each with its source (one place for all of them).
PUBLISHED_LCOH_RANGES: tuple[PublishedRange, ...] = (
    PublishedRange(
        2.33, 4.33, 2030,
        "domestic German production, meta-analysis of 12 studies (0.07-0.13 EUR/kWh_H2 LHV)",
        "Merten, F., Scholz, A. (2023): Metaanalyse zu Wasserstoffkosten und -bedarfen für "
        "die CO2-neutrale Transformation, Wuppertal Institut für Klima, Umwelt, Energie, "
        "for the Landesverband Erneuerbare Energien NRW",
    ),
    PublishedRange(
        1.6 * 0.92, 1.9 * 0.92, 2030,
        "life-cycle cost of electrolytic hydrogen, global projection (1.6-1.9 USD/kg at "
        "0.92 EUR/USD)",
        "Glenk, Holler, Reichelstein (2023), Advances in power-to-gas technologies: cost and "
        "conversion efficiency, Energy Environ. Sci., doi:10.1039/d3ee01208e",
    ),
)

#: Assumptions of this model that differ from the published studies.
ASSUMPTION_DIFFERENCES = (
    "electrolyser capex 1,886 EUR/kW_el in 2030 (PyPSA technology-data v0.14; many studies "
    "assume 500-1,000 EUR/kW)",
    "hydrogen delivered flat every hour to one off-taker (storage and pipelines in the chain "
    "cost; studies usually price hydrogen at the electrolyser outlet)",
    "electricity from Lausitz wind and PV profiles of one weather year at the scenario's "
    "discount rate, or at day-ahead prices of the price year; no grid fees, levies or "
    "subsidies",
    "no water cost in the cost table (about 0.01-0.05 EUR/kg in studies)",
)

_KG_PER_MWH = 1000.0 / 33.33


def reconciliation_table(account: pd.DataFrame) -> pd.DataFrame:
    """The cost account with its total, the LP objective and their difference, EUR/a.

    Parameters
    ----------
    account
        :func:`nzv_energy.sizing.solution.cost_account` (or ``cost_account.csv``).

    Returns
    -------
    pandas.DataFrame
        Index: the items, ``total``, ``LP objective``, ``difference``; columns
        ``counted_meur_per_year`` and ``not_counted_meur_per_year``.
    """
    counted = account["eur_per_year"].astype(float)
    left_out = account["not_counted_eur_per_year"].astype(float)
    objective = float(account.attrs.get("objective_eur_per_year", np.nan))
    index = [ACCOUNT_ITEMS.get(str(k), str(k)) for k in account.index]
    frame = pd.DataFrame(
        {"counted_meur_per_year": counted.to_numpy() / 1e6,
         "not_counted_meur_per_year": left_out.to_numpy() / 1e6},
        index=index,
    )
    total = float(counted.sum())
    frame.loc["total (the account)"] = [total / 1e6, float(left_out.sum()) / 1e6]
    frame.loc["LP objective"] = [objective / 1e6, np.nan]
    frame.loc["difference, relative"] = [
        (total - objective) / abs(objective) if objective else np.nan, np.nan
    ]
    frame.index.name = "cost account item"
    return frame


def lp_kpi_columns(kpis: pd.DataFrame, sizing: Any) -> pd.DataFrame:
    """The re-simulation KPIs with the LP's figures added per weather year.

    Adds the marginal cost of hydrogen (LP dual, mean and P10/P50/P90 over the
    year's hours), and the LP's account total, chain LCOH and system net cost per
    kg (one sizing for all years, so the same in every row).

    Parameters
    ----------
    kpis
        :func:`nzv_energy.dispatch.kpis.compute_kpis` (index ``weather_year``).
    sizing
        :class:`nzv_energy.sizing.SizingResult`.
    """
    out = kpis.copy()
    price = sizing.hydrogen_price_eur_per_mwh
    years = pd.DatetimeIndex(price.index).year
    for year in out.index:
        part = price.to_numpy()[years == int(year)]
        # the hourly series repeats each segment over its hours: equal weights per hour
        for key, value in marginal_cost_kpis(part, np.ones(part.size)).items():
            out.loc[year, key] = value
    for key in ("total_cost_eur_per_year", "objective_eur_per_year", "lcoh_chain_eur_per_kg",
                "lcoh_chain_renewables_cost_eur_per_kg", "system_net_cost_per_kg_h2_eur_per_kg"):
        out[f"lp_{key}"] = float(sizing.kpis[key])
    return out


def economics_section(lp: dict[str, Any], kpis: pd.DataFrame) -> list[str]:
    """Markdown lines of the economics section (empty without an optimiser run).

    Parameters
    ----------
    lp
        The report's LP summary with ``account`` (DataFrame), ``lp_kpis`` (dict),
        ``fixed_assets``, ``export_revenue`` and ``bounds_at_limit`` (DataFrame).
    kpis
        Re-simulation KPIs per weather year.
    """
    account = lp.get("account")
    if account is None or len(account) == 0:
        return []
    k = lp.get("lp_kpis", {})
    treatment = lp.get("fixed_assets", "annualised")
    rec = reconciliation_table(account)
    meur = rec.drop(index="difference, relative")
    rel = float(rec.loc["difference, relative", "counted_meur_per_year"])
    parts = [
        "## Cost account and LCOH",
        "",
        f"One account for every output (kpis.csv, this report, network.nc, the sized scenario). "
        f"Fixed (planned or existing) assets are **{treatment}** "
        f"(`economics.fixed_assets`; `annualised` counts their annuity and fixed O&M, "
        f"`sunk` leaves them out); export revenue counts as "
        f"**{lp.get('export_revenue', 'market')}** (`optimisation.export_revenue`). "
        f"The counted rows add up to the LP objective (relative difference {rel:.1e}).",
        "",
        markdown_table(meur, "{:,.2f}"),
        "",
        "Three figures per kg of hydrogen (formulas and sources: docs/optimisation.md):",
        "",
    ]
    resim = {c: float(kpis[c].mean()) for c in (
        "lcoh_chain_eur_per_kg", "lcoh_chain_renewables_cost_eur_per_kg",
        "system_net_cost_per_kg_h2_eur_per_kg") if c in kpis}
    rows = {
        "(a) hydrogen-chain LCOH, electricity at hourly market value": (
            k.get("lcoh_chain_eur_per_kg"), resim.get("lcoh_chain_eur_per_kg")),
        "(a) hydrogen-chain LCOH, electricity at the average cost of the wind and PV": (
            k.get("lcoh_chain_renewables_cost_eur_per_kg"),
            resim.get("lcoh_chain_renewables_cost_eur_per_kg")),
        "(b) marginal cost of hydrogen (LP dual), mean": (
            k.get("hydrogen_marginal_cost_mean_eur_per_kg"), None),
        "(b) marginal cost, P10 / P50 / P90 over the hours": (
            " / ".join(f"{k.get(f'hydrogen_marginal_cost_{p}_eur_per_kg', np.nan):.2f}"
                       for p in ("p10", "p50", "p90")), None),
        "(c) system net cost per kg (all assets, net of export revenue)": (
            k.get("system_net_cost_per_kg_h2_eur_per_kg"),
            resim.get("system_net_cost_per_kg_h2_eur_per_kg")),
    }
    view = pd.DataFrame(
        {"LP, EUR/kg": [v[0] if v[0] is not None else np.nan for v in rows.values()],
         "rule-based re-simulation (mean), EUR/kg": [
             v[1] if v[1] is not None else np.nan for v in rows.values()]},
        index=pd.Index(list(rows), name="figure"),
    )
    parts += [markdown_table(view, "{:,.2f}"), ""]
    pub = pd.DataFrame(
        {"EUR/kg": [f"{r.low_eur_per_kg:.2f}-{r.high_eur_per_kg:.2f}"
                    for r in PUBLISHED_LCOH_RANGES],
         "year": [str(r.year) for r in PUBLISHED_LCOH_RANGES],
         "source": [r.source for r in PUBLISHED_LCOH_RANGES]},
        index=pd.Index([r.scope for r in PUBLISHED_LCOH_RANGES], name="published range"),
    )
    parts += [
        "Published ranges to compare (a) with:",
        "",
        markdown_table(pub, "{}"),
        "",
        "Assumptions of this model that differ: " + "; ".join(ASSUMPTION_DIFFERENCES) + ".",
        "",
    ]
    bounds = lp.get("bounds_at_limit")
    if bounds is not None and len(bounds):
        b = bounds.copy()
        b.index = [f"{s}.{t}" for s, t in zip(b["site"], b["technology"], strict=True)]
        b = b[["value", "bound", "dual_eur_per_unit_year"]]
        b.columns = ["value", "bound", "saving per extra MW (MWh), EUR/a"]
        b.index.name = "capacity held by its bound"
        parts += [
            "**Capacities at a binding bound** (the optimum would move if the bound moved; "
            "the dual is what one more MW, or MWh, of the bound would save per year):",
            "",
            markdown_table(b, "{:,.1f}"),
            "",
        ]
    return parts
