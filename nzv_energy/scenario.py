"""The scenario: one frozen, typed definition of every user-facing field.

A scenario file (YAML) is read by :func:`nzv_energy.scenario_file.load_scenario`;
this module only defines the fields (type, unit in the name, default, bounds,
description).  Cross-field checks live in :mod:`nzv_energy.validation`.
"""

from __future__ import annotations

import math
import zoneinfo
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nzv_energy.technology import TechnologyParameters

if TYPE_CHECKING:
    from nzv_energy.heat.assets import SiteHeat

#: Largest capacity accepted for one site and technology (a sanity bound), MW.
MAX_POWER_MW = 50_000.0
#: Largest energy capacity accepted for one site and technology, MWh.
MAX_ENERGY_MWH = 2_000_000.0


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CapacityRange(_Frozen):
    """A capacity the optimiser sizes, between ``min`` and ``max``."""

    min: float = Field(default=0.0, ge=0, description="Lower bound (MW or MWh)")
    max: float = Field(ge=0, le=MAX_POWER_MW, description="Upper bound (MW or MWh)")

    @model_validator(mode="after")
    def _min_not_above_max(self) -> CapacityRange:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class EnergyRange(CapacityRange):
    """An energy capacity (MWh) the optimiser sizes, between ``min`` and ``max``."""

    max: float = Field(ge=0, le=MAX_ENERGY_MWH, description="Upper bound, MWh")


PowerMW = Annotated[float, Field(ge=0, le=MAX_POWER_MW)]
EnergyMWh = Annotated[float, Field(ge=0, le=MAX_ENERGY_MWH)]
#: A number = fixed capacity; ``{min, max}`` = to be sized by the optimiser.
Capacity = PowerMW | CapacityRange
EnergyCapacity = EnergyMWh | EnergyRange


def is_fixed(value: Capacity | None) -> bool:
    """True when a capacity is a fixed number (not a range to be sized)."""
    return not isinstance(value, CapacityRange)


def capacity_bounds(value: Capacity) -> tuple[float, float]:
    """``(min, max)`` of a capacity; a fixed value gives ``(v, v)``."""
    if isinstance(value, CapacityRange):
        return value.min, value.max
    return float(value), float(value)


class Location(_Frozen):
    """Geographic position (WGS84, degrees)."""

    lat: float = Field(ge=-90, le=90, description="Latitude, degrees north")
    lon: float = Field(ge=-180, le=180, description="Longitude, degrees east")


def distance_km(a: Location, b: Location) -> float:
    """Great-circle distance between two locations, km (haversine, R = 6371 km)."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dphi = p2 - p1
    dlmb = math.radians(b.lon - a.lon)
    h = math.sin(dphi / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlmb / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


class Site(_Frozen):
    """A former power-plant site with its grid connection and new assets."""

    location: Location
    display_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=60,
        description=(
            "Name shown in figures and reports, e.g. Jänschwalde; None = the site's key "
            "with spaces and capitals (schwarze_pumpe -> Schwarze Pumpe)"
        ),
    )
    grid_connection_mw: float = Field(
        ge=0, le=MAX_POWER_MW, description="Grid connection rating (import and export), MW"
    )
    wind_mw: Capacity = Field(default=0.0, description="Onshore wind capacity, MW")
    pv_mw: Capacity = Field(default=0.0, description="Ground-mounted PV capacity, MW_AC")
    battery_mw: Capacity = Field(default=0.0, description="Battery power (inverter) rating, MW")
    battery_mwh: EnergyCapacity = Field(default=0.0, description="Battery energy capacity, MWh")
    electrolysis_mw: Capacity = Field(default=0.0, description="Electrolyser rating, MW_el")
    gas_backup_mw: Capacity = Field(
        default=0.0, description="Gas (H2-ready) backup turbine rating, MW_el"
    )
    pipeline_mw: Capacity | None = Field(
        default=None,
        description=(
            "Hydrogen pipeline to the demand site, MW_H2 (LHV); None = the larger of the "
            "electrolyser's rated hydrogen output and the demand peak"
        ),
    )
    wind_full_load_hours: float | None = Field(
        default=None, gt=0, le=8760, description="Site wind full-load hours, h/a"
    )
    pv_full_load_hours: float | None = Field(
        default=None, gt=0, le=8760, description="Site PV full-load hours, h/a"
    )
    local_demand_mw: float = Field(
        default=0.0, ge=0, le=MAX_POWER_MW, description="Flat electric load of the site, MW"
    )


def check_timezone(value: str) -> str:
    """Return ``value`` if it is an IANA time zone name (e.g. ``Europe/Berlin``, ``UTC``)."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            "an IANA time zone name such as 'UTC' or 'Europe/Berlin' (local time with "
            "daylight saving)"
        ) from None
    return value


_TIMEZONE_HELP = (
    "Time zone of a CSV's timestamps that carry no UTC offset: UTC, or an IANA name such as "
    "Europe/Berlin for local time (the doubled autumn hour listed twice, first in summer "
    "time; the skipped spring hour left out); CSV sources only"
)


class Weather(_Frozen):
    """Which capacity-factor profiles and weather years to use."""

    source: str = Field(
        default="entsoe_de",
        description="Profile set in inputs/ (entsoe_de, dwd_try2010) or a path to a CSV",
    )
    years: tuple[int, ...] = Field(default=(2019,), min_length=1, description="Weather years")
    timezone: str = Field(default="UTC", description=_TIMEZONE_HELP)
    scale_csv_to_full_load_hours: bool = Field(
        default=False,
        description=(
            "Scale a CSV source per site and year to the sites' full-load hours (the site "
            "fields, else technology.wind / technology.pv); false: the file is used as given. "
            "Built-in sources are always scaled"
        ),
    )

    _timezone = field_validator("timezone")(check_timezone)


class ElectricityPrice(_Frozen):
    """A day-ahead price series and how its years meet the weather years."""

    source: str = Field(
        default="day_ahead_de",
        description=(
            "day_ahead_de (each weather year's own German day-ahead prices: 2015, 2017-2020), "
            "smard_2015, smard_2018 (one year each) or a path to a CSV"
        ),
    )
    align: Literal["same_year", "hour_of_year"] = Field(
        default="same_year",
        description=(
            "same_year: each weather year takes the prices of the same calendar year, a "
            "missing one is an error; hour_of_year: a price year is laid on a weather year of "
            "another year hour by hour of the year (weekdays and holidays do not line up)"
        ),
    )
    year: int | None = Field(
        default=None,
        ge=1900,
        le=2100,
        description=(
            "With align: hour_of_year, the price year laid on every weather year; null: each "
            "weather year's own where the series has it, else the series' only year"
        ),
    )
    timezone: str = Field(default="UTC", description=_TIMEZONE_HELP)

    _timezone = field_validator("timezone")(check_timezone)

    @model_validator(mode="after")
    def _year_needs_alignment(self) -> ElectricityPrice:
        if self.year is not None and self.align != "hour_of_year":
            raise ValueError(
                f"year ({self.year}) is used only with align: hour_of_year (with same_year "
                "each weather year takes its own prices)"
            )
        return self

    def __str__(self) -> str:
        """Readable form for reports, e.g. ``smard_2018, aligned by hour of year``."""
        text = self.source
        if self.align == "hour_of_year":
            year = f" {self.year}" if self.year is not None else ""
            text += f", price year{year} aligned by hour of year"
        if self.timezone != "UTC":
            text += f", timestamps in {self.timezone}"
        return text


class Economics(_Frozen):
    """Cost year, discount rate and energy prices."""

    cost_year: int = Field(default=2030, description="Row set of inputs/costs.csv")
    discount_rate: float = Field(default=0.07, ge=0, le=0.3, description="Real discount rate")
    electricity_price: ElectricityPrice = Field(
        default=ElectricityPrice(),
        description=(
            "Day-ahead price series: day_ahead_de, smard_2015, smard_2018 or a CSV path, "
            "whose years must match the weather years; or a mapping {source, align, year, "
            "timezone} (see economics.electricity_price below)"
        ),
    )
    gas_price_eur_per_mwh: float = Field(default=35.0, ge=0, le=1000, description="EUR/MWh_th")
    co2_price_eur_per_t: float = Field(default=130.0, ge=0, le=2000, description="EUR/t CO2")
    hydrogen_value_eur_per_mwh: float = Field(
        default=0.0,
        ge=0,
        le=10_000,
        description="Value of hydrogen sold outside the demand (not used when 0), EUR/MWh",
    )
    grid_carbon_intensity: str = Field(
        default="entsoe_de",
        description=(
            "Hourly carbon intensity of grid power, g CO2e/kWh (average of the generation "
            "mix): entsoe_de (German mix 2017-2020 with inputs/emission_factors.csv) or a "
            "path to a CSV with a column g_co2e_per_kwh"
        ),
    )
    low_carbon_grid_threshold_g_per_kwh: float = Field(
        default=100.0,
        ge=0,
        le=2000,
        description=(
            "Grid intensity below which an electrolyser hour counts as low-carbon "
            "(KPI electrolysis_low_carbon_hours_share), g CO2e/kWh"
        ),
    )
    fixed_assets: Literal["annualised", "sunk"] = Field(
        default="annualised",
        description=(
            "Cost of capacities given as numbers (planned or existing): 'annualised' counts "
            "their annuity and fixed O&M in every cost total and the LP objective (full system "
            "cost); 'sunk' leaves them out (only new investment and operation count)"
        ),
    )

    @field_validator("electricity_price", mode="before")
    @classmethod
    def _plain_price_source(cls, value: object) -> object:
        """A plain name or path is the mapping ``{source: value}`` (same_year, UTC)."""
        return {"source": value} if isinstance(value, str) else value

    @property
    def price_series(self) -> ElectricityPrice:
        """``electricity_price`` (kept for readability at the call sites)."""
        return self.electricity_price


class HydrogenDemand(_Frozen):
    """The hydrogen off-taker."""

    site: str = Field(default="schwarzheide", description="Name of the demand site")
    location: Location = Location(lat=51.476, lon=13.889)
    mean_mw: float = Field(ge=0, le=MAX_POWER_MW, description="Mean demand, MW_H2 (LHV)")
    profile: str = Field(
        default="flat",
        description="'flat' or a CSV path with a column demand_fraction (mean 1)",
    )


class Hydrogen(_Frozen):
    """Hydrogen demand and storage."""

    demand: HydrogenDemand
    storage_mwh: dict[str, EnergyCapacity] = Field(
        default_factory=dict, description="Hydrogen storage per site, MWh_H2 (LHV)"
    )
    initial_storage_fraction: float = Field(
        default=0.5, ge=0, le=1, description="Hydrogen storage level at the start, fraction"
    )


class Operation(_Frozen):
    """Operating policy of the rule-based dispatch."""

    grid_import: bool = Field(
        default=False,
        description="Electrolysers may buy grid power in hours priced at or below the threshold",
    )
    import_price_threshold_eur_per_mwh: float = Field(
        default=20.0,
        ge=-500,
        le=5000,
        description="Price at or below which grid power is bought (RFNBO threshold 20 EUR/MWh)",
    )
    import_carbon_threshold_g_per_kwh: float | None = Field(
        default=None,
        ge=0,
        le=2000,
        description=(
            "Grid carbon intensity (economics.grid_carbon_intensity) at or below which grid "
            "power may be bought at all, g CO2e/kWh; above it the sites import nothing, in the "
            "rules and in the sizing LP (null: no limit)"
        ),
    )
    gas_backup_fuel: Literal["natural_gas", "hydrogen"] = "natural_gas"
    rfnbo_matching: Literal["hourly", "monthly"] = "hourly"
    cyclic: bool = Field(default=True, description="Run each year twice and report the second pass")
    initial_soc_fraction: float = Field(
        default=0.5, ge=0, le=1, description="Battery state of charge at the start, fraction"
    )
    battery_to_electrolysis: bool = Field(
        default=True,
        description=(
            "Batteries feed the electrolyser after renewable and cheap grid power, as far as "
            "its hydrogen has a sink (false: they only hold a running stack at minimum load)"
        ),
    )
    hydrogen_routing: Literal["storage_room", "site_order"] = Field(
        default="storage_room",
        description=(
            "Order in which the sites' production serves the demand each hour: least free "
            "hydrogen-storage room first (the others store their surplus), or scenario order"
        ),
    )


class Optimisation(_Frozen):
    """Options of the PyPSA/HiGHS sizing."""

    mode: Literal["exact", "fast"] = "exact"
    segment_hours: int = Field(default=3, ge=1, le=24, description="Block length in fast mode")
    rfnbo: Literal["none", "hourly", "monthly"] = "none"
    co2_cap_t_per_year: float | None = Field(
        default=None,
        ge=0,
        description=(
            "Mean annual CO2e of natural gas burnt and grid power imported (at the hourly "
            "grid intensity), t"
        ),
    )
    max_hydrogen_carbon_intensity_kg_per_kg: float | None = Field(
        default=None,
        gt=0,
        le=50,
        description=(
            "Limit on the carbon intensity of the hydrogen in every weather year, kg CO2e/kg "
            "(3.384 = the EU 28.2 g CO2e/MJ); all grid-import emissions count against the "
            "hydrogen produced"
        ),
    )
    max_grid_import_mwh_per_year: float | None = Field(default=None, ge=0)
    min_storage_share: float | None = Field(default=None, ge=0, le=1)
    time_limit_s: float | None = Field(default=None, gt=0)
    exact_method: Literal["auto", "monolithic", "decomposition"] = Field(
        default="auto",
        description=(
            "Exact mode: 'decomposition' solves one operation LP per weather year "
            "(capacities shared, years in parallel) in a cut loop to a relative gap of "
            "1e-10 for one site and 1e-7 for several (kpis.csv: exact_relative_gap; the "
            "objective lies at most that far above the optimum), the same optimum; "
            "'monolithic': one LP of all years (to HiGHS's tolerances); 'auto': the "
            "decomposition for several years and for one year from 4,380 hours, otherwise "
            "one LP"
        ),
    )
    fast_mode_error_estimate: Literal["none", "operate", "bound"] = Field(
        default="operate",
        description=(
            "Fast mode: 'operate' the sized capacities on the full hourly LP (capacities fixed) "
            "and report the gap of the fast objective to that cost (kpis.csv: "
            "fast_mode_cost_gap_fraction), an upper bound of the exact optimum when they "
            "serve every hour; 'bound' also enlarges them where they do not (always a bound, "
            "costs several fast sizings then); 'none'"
        ),
    )
    demand_margin_fraction: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description=(
            "Design margin: the LP sizes for the hydrogen demand times (1 + margin); the "
            "re-simulation uses the scenario's demand"
        ),
    )
    resimulation_target_share: float | None = Field(
        default=0.999,
        gt=0,
        le=1,
        description=(
            "Share of each weather year's hydrogen demand the rule-based re-simulation of the "
            "sized system must meet; the design margin is raised until it does (null: size "
            "once, no check)"
        ),
    )
    max_margin_iterations: int = Field(
        default=3, ge=0, le=10, description="Re-sizings allowed to reach the target share"
    )
    export_revenue: Literal["market", "none", "surplus_only"] = Field(
        default="market",
        description=(
            "How grid export counts in the sizing: 'market' earns the day-ahead price; 'none' "
            "sells nothing (surplus is curtailed), so no capacity is built to sell power; "
            "'surplus_only' sizes as 'none', then dispatches the sized system with market "
            "revenue (every MWh sold is surplus of a system sized for hydrogen alone)"
        ),
    )


#: Reserve products of ``vpp.reserves``: symmetric FCR, positive and negative aFRR.
ReserveProduct = Literal["fcr", "afrr_pos", "afrr_neg"]


class VppReserves(_Frozen):
    """Balancing-capacity products offered beside day-ahead energy (``vpp.reserves``)."""

    prices_csv: str = Field(
        min_length=1,
        description=(
            "CSV of capacity prices (columns timestamp, product, capacity_price_eur_per_mw; "
            "optional activation_price_eur_per_mwh), relative to the scenario file; format "
            "in docs/vpp_reserves.md"
        ),
    )
    block_hours: int = Field(
        default=4, ge=1, le=24,
        description=(
            "Length of a reserve product block, h (4 h in Germany: aFRR since 2018, FCR "
            "since 2020); divides 24 and vpp.commit_h"
        ),
    )
    products: tuple[ReserveProduct, ...] = Field(
        default=("fcr", "afrr_pos", "afrr_neg"), min_length=1,
        description="Products offered: fcr (symmetric), afrr_pos, afrr_neg",
    )
    fcr_duration_h: float = Field(
        default=0.5, gt=0, le=24,
        description=(
            "Hours of full FCR delivery a battery must hold in each direction (30-minute "
            "criterion; docs/vpp_reserves.md)"
        ),
    )
    afrr_duration_h: float | None = Field(
        default=None, gt=0, le=24,
        description=(
            "Hours of full aFRR delivery a battery must hold; None = the whole block"
        ),
    )

    @model_validator(mode="after")
    def _blocks_tile_the_day(self) -> VppReserves:
        if 24 % self.block_hours:
            raise ValueError(f"block_hours ({self.block_hours}) must divide 24")
        if len(set(self.products)) != len(self.products):
            raise ValueError(f"products {list(self.products)} name a product twice")
        return self


class Vpp(_Frozen):
    """Options of the rolling-horizon virtual-power-plant scheduling."""

    horizon_h: int = Field(default=48, ge=2, le=24 * 14, description="Window length, h")
    commit_h: int = Field(default=24, ge=1, le=24 * 14, description="Hours committed per window")
    unserved_hydrogen_penalty_eur_per_mwh: float | None = Field(
        default=1000.0, ge=0, description="Penalty for unserved hydrogen; None = hard obligation"
    )
    electrolysis_start_cost_eur_per_mw: float = Field(default=5.0, ge=0)
    gas_start_cost_eur_per_mw: float = Field(default=30.0, ge=0)
    gas_min_load_fraction: float = Field(default=0.3, ge=0, le=1)
    forecast_error_std_fraction: float = Field(default=0.0, ge=0, le=1)
    seed: int = 0
    mip_gap: float = Field(default=0.005, ge=0, le=1)
    days: int | None = Field(default=None, ge=1, le=366, description="Limit to the first days")
    import_policy: Literal["operation", "market"] = Field(
        default="operation",
        description=(
            "Grid purchases beyond the sites' own standby and local load: 'operation' = as the "
            "rule-based dispatch (operation.grid_import, at or below the price threshold), "
            "'market' = in any hour up to the connection"
        ),
    )
    storage_value: Literal["window_median_price", "none"] = Field(
        default="window_median_price",
        description=(
            "Value of energy left in storage at the end of a window: battery MWh at the "
            "window's median price times discharge efficiency, hydrogen MWh at the median "
            "price divided by the rated electrolyser efficiency; 'none' = worthless"
        ),
    )
    time_limit_s: float | None = Field(
        default=300.0,
        gt=0,
        description=(
            "HiGHS wall-clock limit per window, s; None = no limit. A safety net only: "
            "windows stop at mip_gap or the deterministic node limit long before it (the "
            "slowest window of a full year took 7 s), and a window stopped by it is recorded "
            "in windows.csv, dispatch.nc (early_stops) and summary.md"
        ),
    )
    battery_cycle_cost_eur_per_mwh: float = Field(
        default=0.0,
        ge=0,
        le=1000,
        description="Wear cost of battery use, EUR per MWh discharged (0 = not priced)",
    )
    unserved_electricity_penalty_eur_per_mwh: float = Field(
        default=10_000.0,
        ge=0,
        description=(
            "Value of lost load of the sites' own loads (local demand, electrolyser standby) "
            "when no power can be bought or made, EUR/MWh"
        ),
    )
    relax_lookahead: bool = Field(
        default=False,
        description=(
            "Relax the on/off decisions after the committed hours to [0, 1] (they are never "
            "committed): faster, with a look-ahead that underrates start costs and minimum "
            "loads; False = binary over the whole window"
        ),
    )
    reserves: VppReserves | None = Field(
        default=None,
        description=(
            "Reserve capacity (FCR, aFRR) co-optimised with energy; None = energy only "
            "(docs/vpp_reserves.md)"
        ),
    )

    @model_validator(mode="after")
    def _commit_within_horizon(self) -> Vpp:
        if self.commit_h > self.horizon_h:
            raise ValueError(
                f"commit_h ({self.commit_h}) must not exceed horizon_h ({self.horizon_h})"
            )
        if self.reserves is not None and self.commit_h % self.reserves.block_hours:
            raise ValueError(
                f"commit_h ({self.commit_h}) must be a multiple of reserves.block_hours "
                f"({self.reserves.block_hours}): a committed window ends at a block's end"
            )
        return self


class Security(_Frozen):
    """Security of supply: a firm power commitment to the grid (off by default)."""

    firm_mw: float = Field(
        default=0.0,
        ge=0,
        le=MAX_POWER_MW,
        description=(
            "Firm power the portfolio commits to deliver to the grid in every hour on top of "
            "the hydrogen supply (net export of all sites, gas backup included), MW; 0 = no "
            "commitment. optimise sizes for it, simulate reports the hours and energy short "
            "(see docs/security_of_supply.md)"
        ),
    )
    hours_short_max: int = Field(
        default=0,
        ge=0,
        le=8784,
        description=(
            "Hours per weather year the commitment may be missed (loss-of-load expectation, "
            "h/a), checked by simulate; optimise holds the commitment in every hour whatever "
            "this value (a linear program cannot count hours: a conservative sizing)"
        ),
    )
    report_firm_capacity: bool = Field(
        default=False,
        description=(
            "simulate also computes the firm capacity per weather year (LP bound, perfect "
            "foresight; firm_capacity.csv, summary.md): several hourly LP solves. Always on "
            "when firm_mw > 0"
        ),
    )


class Scenario(_Frozen):
    """A complete, validated scenario (technology defaults already resolved)."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    weather: Weather = Weather()
    economics: Economics = Economics()
    sites: dict[str, Site] = Field(min_length=1)
    hydrogen: Hydrogen
    operation: Operation = Operation()
    optimisation: Optimisation = Optimisation()
    vpp: Vpp = Vpp()
    security: Security = Security()
    technology: TechnologyParameters
    heat: dict[str, SiteHeat] | None = Field(
        default=None,
        description="District heat per plant site (`heat: {<site>: {...}}`, "
        "docs/district_heat.md); null leaves the heat of an extended scenario out",
    )

    @property
    def site_names(self) -> tuple[str, ...]:
        """Site names in file order."""
        return tuple(self.sites)

    def ranges(self) -> dict[str, CapacityRange]:
        """Every capacity to be sized, by field path (e.g. ``sites.boxberg.pv_mw``)."""
        out: dict[str, CapacityRange] = {}
        for name, site in self.sites.items():
            for field in CAPACITY_FIELDS:
                value = getattr(site, field)
                if isinstance(value, CapacityRange):
                    out[f"sites.{name}.{field}"] = value
        for name, value in self.hydrogen.storage_mwh.items():
            if isinstance(value, CapacityRange):
                out[f"hydrogen.storage_mwh.{name}"] = value
        return out

    def heat_ranges(self) -> dict[str, CapacityRange]:
        """Every district-heat capacity to be sized, by field path.

        E.g. ``heat.boxberg.heat_pump.heat_mw_th``; empty without ``heat:``.
        """
        out: dict[str, CapacityRange] = {}
        for site, site_heat in (self.heat or {}).items():
            for block_name in type(site_heat).model_fields:
                block = getattr(site_heat, block_name)
                if not isinstance(block, BaseModel):
                    continue
                for field in type(block).model_fields:
                    value = getattr(block, field)
                    if isinstance(value, CapacityRange):
                        out[f"heat.{site}.{block_name}.{field}"] = value
        return out

    @property
    def is_fixed(self) -> bool:
        """True when every capacity, district heat included, is a fixed number."""
        return not self.ranges() and not self.heat_ranges()


#: Per-site capacity fields, in the order used for tables.
CAPACITY_FIELDS = (
    "wind_mw",
    "pv_mw",
    "battery_mw",
    "battery_mwh",
    "electrolysis_mw",
    "gas_backup_mw",
    "pipeline_mw",
)


def pipeline_lengths_km(scenario: Scenario) -> dict[str, float]:
    """Pipeline route length from each site to the demand location, km.

    Great-circle distance times ``technology.pipeline.route_factor``: the length the
    pipelines are costed by (:func:`nzv_energy.system.build_inputs`) and reported with.
    """
    route = scenario.technology.pipeline.route_factor
    demand = scenario.hydrogen.demand.location
    return {
        name: route * distance_km(site.location, demand) for name, site in scenario.sites.items()
    }


# The heat models use the capacity types above: nzv_energy.heat.assets defines SiteHeat and
# completes Scenario (model_rebuild) when it is imported, whichever module comes first.
import nzv_energy.heat.assets  # noqa: E402,F401
