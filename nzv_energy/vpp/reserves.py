"""Reserve capacity products of the VPP: definitions and the capacity-price file.

Three balancing-capacity products can be offered beside day-ahead energy, in
blocks of ``block_hours`` (4 h in Germany since 2020), by batteries,
electrolysers and gas units (``docs/vpp_reserves.md``):

``fcr``
    Frequency containment reserve, symmetric: the same MW up and down.
``afrr_pos``
    Automatic frequency restoration reserve, positive (more output or less load).
``afrr_neg``
    Automatic frequency restoration reserve, negative (less output or more load).

The price file is long format, one row per block and product::

    timestamp,product,capacity_price_eur_per_mw[,activation_price_eur_per_mwh]
    2019-01-01 00:00,fcr,18.40
    2019-01-01 00:00,afrr_pos,6.10

``timestamp`` is the start of the block (UTC, ISO 8601, at a multiple of
``block_hours`` after midnight), ``capacity_price_eur_per_mw`` the price of one
MW held for the whole block, EUR/MW (as the German capacity auctions report it).
Every block of the scheduled hours needs a row for every offered product.  The
optional ``activation_price_eur_per_mwh`` is read and checked, and kept with the
results; the schedule does not model activations (see the docs).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nzv_energy.errors import InputDataError
from nzv_energy.scenario import VppReserves

#: Products in model and output order.
PRODUCTS: tuple[str, ...] = ("fcr", "afrr_pos", "afrr_neg")
#: Products that raise the output of a unit (or lower its load) when activated.
UPWARD: frozenset[str] = frozenset({"fcr", "afrr_pos"})
#: Products that lower the output of a unit (or raise its load) when activated.
DOWNWARD: frozenset[str] = frozenset({"fcr", "afrr_neg"})
#: Units that can hold reserve, in output order.
UNITS: tuple[str, ...] = ("battery", "electrolysis", "gas_backup")

TIME_COLUMN = "timestamp"
PRODUCT_COLUMN = "product"
CAPACITY_COLUMN = "capacity_price_eur_per_mw"
ACTIVATION_COLUMN = "activation_price_eur_per_mwh"
#: Largest capacity price accepted for one MW and block, EUR/MW (a sanity bound).
MAX_CAPACITY_PRICE_EUR_PER_MW = 100_000.0
#: Bounds of an activation price, EUR/MWh (the balancing energy price limits are +-15,000).
ACTIVATION_BOUND_EUR_PER_MWH = 100_000.0
_FIELD = "vpp.reserves.prices_csv"


@dataclass(frozen=True)
class ReserveSpec:
    """What the window model needs of the reserve options.

    Attributes
    ----------
    products
        Products offered (a subset of :data:`PRODUCTS`, in that order).
    block_hours
        Block length, h.
    fcr_duration_h, afrr_duration_h
        Hours of full delivery a battery must hold the energy for, per direction.
    """

    products: tuple[str, ...]
    block_hours: int
    fcr_duration_h: float
    afrr_duration_h: float

    @classmethod
    def from_scenario(cls, reserves: VppReserves) -> ReserveSpec:
        """The spec of a scenario's ``vpp.reserves``."""
        return cls(
            products=tuple(p for p in PRODUCTS if p in reserves.products),
            block_hours=reserves.block_hours,
            fcr_duration_h=reserves.fcr_duration_h,
            afrr_duration_h=(
                float(reserves.block_hours) if reserves.afrr_duration_h is None
                else reserves.afrr_duration_h
            ),
        )

    def duration_h(self, product: str) -> float:
        """Hours of full delivery the energy held for ``product`` must last."""
        return self.fcr_duration_h if product == "fcr" else self.afrr_duration_h


@dataclass(frozen=True)
class ReservePrices:
    """Capacity (and activation) prices on the scheduled hours.

    Attributes
    ----------
    products
        Row order of the arrays.
    capacity_eur_per_mw
        Price of one MW for the block each hour belongs to, EUR/MW per block, shape
        ``(n_products, n_hours)`` (constant within a block).
    activation_eur_per_mwh
        Activation prices in the same layout, or None when the file has none.
    file
        The file read (for provenance).
    """

    products: tuple[str, ...]
    capacity_eur_per_mw: np.ndarray
    activation_eur_per_mwh: np.ndarray | None
    file: Path


def _error(path: Path, field: str, value: object, allowed: str) -> InputDataError:
    return InputDataError(path, field, value, allowed)


def load_reserve_prices(
    path: Path, spec: ReserveSpec, time: pd.DatetimeIndex
) -> ReservePrices:
    """Read the capacity-price file for the hours ``time`` (tz-naive UTC, hourly).

    Raises
    ------
    InputDataError
        Naming the file, the line and column, the value and what is allowed: a
        missing column, an unknown product, a timestamp that is not a block start, a
        duplicate row, a price that is not a number within bounds, or a block of the
        scheduled hours without a price for an offered product.
    """
    if not path.exists():
        raise _error(path, _FIELD, str(path), "a path to an existing CSV file")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise _error(path, "file", path.name, f"a comma-separated UTF-8 table ({exc})") from None
    for column in (TIME_COLUMN, PRODUCT_COLUMN, CAPACITY_COLUMN):
        if column not in table.columns:
            raise _error(path, "header", list(table.columns),
                         f"columns {TIME_COLUMN}, {PRODUCT_COLUMN}, {CAPACITY_COLUMN} "
                         f"(optional {ACTIVATION_COLUMN})")
    extra = [c for c in table.columns if c not in
             (TIME_COLUMN, PRODUCT_COLUMN, CAPACITY_COLUMN, ACTIVATION_COLUMN)]
    if extra:
        raise _error(path, "header", extra[0],
                     f"only {TIME_COLUMN}, {PRODUCT_COLUMN}, {CAPACITY_COLUMN}, "
                     f"{ACTIVATION_COLUMN}")
    has_activation = ACTIVATION_COLUMN in table.columns
    bh = spec.block_hours
    seen: dict[tuple[pd.Timestamp, str], tuple[float, float]] = {}
    for i, row in enumerate(table.itertuples(index=False), start=2):
        rec = row._asdict()
        where = f"line {i}"
        product = str(rec[PRODUCT_COLUMN]).strip()
        if product not in PRODUCTS:
            raise _error(path, f"{where}, column {PRODUCT_COLUMN}", product,
                         f"one of {', '.join(PRODUCTS)}")
        raw_time = str(rec[TIME_COLUMN]).strip()
        try:
            stamp = pd.Timestamp(raw_time)
        except ValueError:
            stamp = None
        if stamp is None or pd.isna(stamp):
            raise _error(path, f"{where}, column {TIME_COLUMN}", raw_time,
                         "an ISO 8601 time stamp, e.g. 2019-01-01 04:00 (UTC)")
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        if stamp.minute or stamp.second or stamp.hour % bh:
            raise _error(path, f"{where}, column {TIME_COLUMN}", raw_time,
                         f"the start of a {bh}-h block in UTC (hour a multiple of {bh}, "
                         "minute 0)")
        price = _number(path, f"{where}, column {CAPACITY_COLUMN}", rec[CAPACITY_COLUMN],
                        0.0, MAX_CAPACITY_PRICE_EUR_PER_MW, "EUR/MW per block")
        activation = np.nan
        if has_activation and str(rec[ACTIVATION_COLUMN]).strip() != "":
            activation = _number(path, f"{where}, column {ACTIVATION_COLUMN}",
                                 rec[ACTIVATION_COLUMN], -ACTIVATION_BOUND_EUR_PER_MWH,
                                 ACTIVATION_BOUND_EUR_PER_MWH, "EUR/MWh")
        key = (stamp, product)
        if key in seen:
            raise _error(path, f"{where}", f"{raw_time},{product}",
                         "one row per block and product (this block and product "
                         "appear twice)")
        seen[key] = (price, activation)
    times = pd.DatetimeIndex(time)
    starts = times.floor(f"{bh}h")
    n = len(times)
    capacity = np.zeros((len(spec.products), n))
    activation_arr = np.full((len(spec.products), n), np.nan)
    for j, product in enumerate(spec.products):
        for block in pd.unique(starts):
            key = (pd.Timestamp(block), product)
            if key not in seen:
                raise _error(path, _FIELD, f"{block:%Y-%m-%d %H:%M},{product}",
                             f"a row for every {bh}-h block of the scheduled hours and "
                             f"every offered product ({', '.join(spec.products)})")
            cols = starts == block
            capacity[j, cols] = seen[key][0]
            activation_arr[j, cols] = seen[key][1]
    use_activation = has_activation and bool(np.isfinite(activation_arr).any())
    return ReservePrices(
        products=spec.products,
        capacity_eur_per_mw=capacity,
        activation_eur_per_mwh=activation_arr if use_activation else None,
        file=path,
    )


def _number(path: Path, field: str, raw: object, low: float, high: float, unit: str) -> float:
    text = str(raw).strip()
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not np.isfinite(value) or value < low or value > high:
        raise _error(path, field, text, f"a number between {low:g} and {high:g} {unit}")
    return value


def block_prices(hourly: np.ndarray, block_hours: int) -> np.ndarray:
    """The price of each block of a window from the hourly layout.

    Parameters
    ----------
    hourly
        ``(n_products, n_hours)`` prices, constant within each block; the window starts
        at a block start.
    block_hours
        Block length, h.

    Returns
    -------
    numpy.ndarray
        ``(n_products, ceil(n_hours / block_hours))``: the value at each block's first hour.
    """
    return np.ascontiguousarray(np.asarray(hourly, float)[:, ::block_hours])
