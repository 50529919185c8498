"""Heat configuration of a plant site: the networks it supplies and its heat assets.

One :class:`SiteHeat` per plant site (``heat: {<site>: {...}}``): the district
networks of ``inputs/district_heat_networks.csv`` the site supplies (their
demands add up), and the site's heat assets. Capacities are a number (fixed)
or ``{min, max}`` (sized), as for the other assets of a scenario; efficiencies
left out (``None``) take the cost table's figure for the scenario's cost year
(``inputs/costs.csv``, :mod:`nzv_energy.heat.costs`).

The scenario's optional ``heat:`` block is a ``dict[str, SiteHeat]``
(:attr:`nzv_energy.scenario.Scenario.heat`); the dispatch rules, the sizing LP
(:mod:`nzv_energy.sizing.heat`) and the VPP window model (:mod:`nzv_energy.vpp.heat`)
read it. :func:`heat_config_from_mapping` validates a
raw mapping and raises :class:`~nzv_energy.errors.ScenarioError` naming the
field, the value and what is allowed.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from nzv_energy.errors import MISSING, ScenarioError
from nzv_energy.heat.cop import ELECTROLYSER_WASTE_HEAT_DEGC
from nzv_energy.scenario import Capacity, CapacityRange, EnergyCapacity


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _positive(value: Capacity) -> bool:
    return (value.max if isinstance(value, CapacityRange) else float(value)) > 0.0


class Chp(_Frozen):
    """Combined heat and power plant (gas turbine / combined cycle, or fuel cell)."""

    electric_mw: Capacity = Field(
        description="Electric output in full condensing operation, MW_el (fuel cap = this / "
        "electric_efficiency)"
    )
    technology: Literal["gas_turbine", "fuel_cell"] = Field(
        default="gas_turbine",
        description="gas_turbine: cost row gas_chp (CCGT with steam extraction, H2-ready when "
        "fuel is hydrogen); fuel_cell: cost row hydrogen_chp (LT-PEMFC CHP, hydrogen only)",
    )
    fuel: Literal["natural_gas", "hydrogen"] = Field(
        default="natural_gas", description="Fuel burnt: natural_gas or the site's hydrogen"
    )
    behaviour: Literal["extraction", "back_pressure"] = Field(
        default="extraction",
        description="extraction: heat between 0 and power / c_b, each MW_th costs c_v MW_el; "
        "back_pressure: heat always power / c_b",
    )
    operation: Literal["heat_led", "power_led"] = Field(
        default="heat_led",
        description="heat_led: runs for the heat the cheaper sources leave; power_led: runs at "
        "full fuel when the price is at or above its marginal cost, heat as a by-product",
    )
    electric_efficiency: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="MWh_el per MWh fuel (LHV), condensing; None = cost table",
    )
    c_b: float | None = Field(
        default=None,
        gt=0,
        le=10,
        description="Back-pressure coefficient, MW_el per MW_th; None = cost table",
    )
    c_v: float | None = Field(
        default=None, ge=0, le=1, description="MW_el lost per MW_th extracted; None = cost table"
    )

    @model_validator(mode="after")
    def _fuel_cell_burns_hydrogen(self) -> Chp:
        if self.technology == "fuel_cell" and self.fuel != "hydrogen":
            raise ValueError("a fuel_cell CHP burns hydrogen (fuel: hydrogen)")
        if self.technology == "fuel_cell" and self.behaviour != "back_pressure":
            raise ValueError("a fuel_cell CHP has fixed heat per power (behaviour: back_pressure)")
        return self


class WasteHeatRecovery(_Frozen):
    """Heat recovered from the site's electrolyser cooling."""

    recoverable_share: float | None = Field(
        default=None,
        ge=0,
        le=0.5,
        description="Recoverable heat per MWh_el of electrolyser input while running; None = "
        "cost table (electrolysis_heat_recovery.heat_share)",
    )
    mode: Literal["direct", "booster_heat_pump"] = Field(
        default="booster_heat_pump",
        description="direct: through a heat exchanger into the network (a network no hotter "
        "than the waste heat); booster_heat_pump: lifted to the supply temperature",
    )
    booster_heat_pump_mw_th: Capacity = Field(
        default=0.0, description="Booster heat pump heat output, MW_th (booster_heat_pump mode)"
    )
    source_temperature_c: float = Field(
        default=ELECTROLYSER_WASTE_HEAT_DEGC,
        ge=30,
        le=95,
        description="Temperature of the recovered waste heat, °C (55-80 typical)",
    )

    @model_validator(mode="after")
    def _booster_has_capacity(self) -> WasteHeatRecovery:
        if self.mode == "booster_heat_pump" and not _positive(self.booster_heat_pump_mw_th):
            raise ValueError(
                "mode booster_heat_pump needs booster_heat_pump_mw_th above 0 (or mode: direct)"
            )
        return self


class HeatPump(_Frozen):
    """Large electric heat pump."""

    heat_mw_th: Capacity = Field(description="Heat output, MW_th")
    source: Literal["air", "electrolyser_heat"] = Field(
        default="air",
        description="air (hourly COP from air temperature) or electrolyser_heat (the waste "
        "heat the recovery leaves)",
    )
    carnot_fraction: float = Field(
        default=0.5, gt=0, le=1, description="Quality grade, fraction of the Lorenz/Carnot COP"
    )


class ElectricBoiler(_Frozen):
    """Electrode boiler."""

    heat_mw_th: Capacity = Field(description="Heat output, MW_th")
    efficiency: float | None = Field(
        default=None, gt=0, le=1, description="MWh_th per MWh_el; None = cost table"
    )


class ThermalStorage(_Frozen):
    """Hot-water tank or pit store."""

    energy_mwh: EnergyCapacity = Field(description="Heat capacity, MWh_th")
    kind: Literal["tank", "pit"] = Field(
        default="tank", description="tank (cost row thermal_storage) or pit (thermal_storage_pit)"
    )
    power_mw: Capacity | None = Field(
        default=None,
        description="Charge and discharge limit, MW_th; None = energy / the cost table's "
        "energy-to-power ratio",
    )
    standing_loss_fraction_per_hour: float | None = Field(
        default=None,
        ge=0,
        le=0.1,
        description="Share of the level lost per hour; None = cost table",
    )
    initial_fraction: float = Field(
        default=0.5, ge=0, le=1, description="Level at the start of a year, fraction of energy_mwh"
    )


class PeakGasBoiler(_Frozen):
    """Natural-gas peak boiler."""

    heat_mw_th: Capacity = Field(description="Heat output, MW_th")
    efficiency: float | None = Field(
        default=None, gt=0, le=1.2, description="MWh_th per MWh gas (LHV); None = cost table"
    )


class SiteHeat(_Frozen):
    """District heat supplied from one plant site."""

    networks: tuple[str, ...] = Field(
        min_length=1,
        description="Networks of inputs/district_heat_networks.csv supplied (fed from this site)",
    )
    annual_demand_mwh: dict[str, float] = Field(
        default_factory=dict,
        description="Annual heat per network, MWh_th, replacing the table's figure",
    )
    supply_temperature_c: float | None = Field(
        default=None,
        ge=40,
        le=180,
        description="Supply temperature for the COP, °C; None = the hottest network's",
    )
    return_temperature_c: float | None = Field(
        default=None,
        ge=10,
        le=120,
        description="Return temperature for the COP, °C; None = the hottest network's",
    )
    chp: Chp | None = None
    waste_heat_recovery: WasteHeatRecovery | None = None
    heat_pump: HeatPump | None = None
    electric_boiler: ElectricBoiler | None = None
    thermal_storage: ThermalStorage | None = None
    peak_gas_boiler: PeakGasBoiler | None = None
    unserved_heat_penalty_eur_per_mwh: float = Field(
        default=1000.0,
        ge=0,
        le=100_000,
        description="Cost of heat not served, EUR/MWh_th (optimiser; project assumption, well "
        "above every heat source's marginal cost)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> SiteHeat:
        if len(set(self.networks)) != len(self.networks):
            raise ValueError(f"networks {list(self.networks)} name a network twice")
        for name, value in self.annual_demand_mwh.items():
            if name not in self.networks:
                raise ValueError(f"annual_demand_mwh names {name!r}, not in networks")
            if not 0.0 < value <= 1e8:
                raise ValueError(f"annual_demand_mwh.{name} = {value}: a number in (0, 1e8] MWh")
        if (
            self.supply_temperature_c is not None
            and self.return_temperature_c is not None
            and self.return_temperature_c >= self.supply_temperature_c
        ):
            raise ValueError("return_temperature_c must be below supply_temperature_c")
        if (
            self.heat_pump is not None
            and self.heat_pump.source == "electrolyser_heat"
            and self.waste_heat_recovery is None
        ):
            raise ValueError(
                "heat_pump.source electrolyser_heat needs a waste_heat_recovery block "
                "(its recoverable share)"
            )
        return self


class HeatConfig(_Frozen):
    """The ``heat:`` block: district heat per plant site."""

    sites: dict[str, SiteHeat] = Field(min_length=1, description="Heat per plant site")


def _model_for(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model that holds the last key of ``loc`` (site names are dict keys)."""
    current: type[BaseModel] = HeatConfig
    parts = list(loc[:-1])
    i = 0
    while i < len(parts):
        part = parts[i]
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        if part == "sites":
            i += 1  # the site name
            current = SiteHeat
        else:
            ann = field.annotation
            found = None
            for arg in (*getattr(ann, "__args__", ()), ann):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    found = arg
            if found is None:
                return None
            current = found
        i += 1
    return current


_BRANCH_LABELS = {"float", "int", "str", "bool", "none"}


def _error(err: ValidationError, file: str | Path | None) -> ScenarioError:
    errors = err.errors(include_url=False)
    chosen = errors[0]
    for e in errors:
        if e["type"] in {"extra_forbidden", "missing", "value_error"}:
            chosen = e
            break
    loc = tuple(
        p
        for p in chosen["loc"]
        if not (
            isinstance(p, str)
            and (
                p in _BRANCH_LABELS
                or p[:1].isupper()
                or p.startswith(("function-", "constrained-"))
            )
        )
    )
    shown = loc[1:] if loc[:1] == ("sites",) else loc  # the file has no 'sites:' level
    field = ".".join(["heat", *(str(p) for p in shown)])
    if chosen["type"] == "extra_forbidden":
        parent = _model_for(loc)
        valid = sorted(parent.model_fields) if parent is not None else []
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.5)
        hint = f" — did you mean '{close[0]}'?" if close else ""
        return ScenarioError(
            file, field, loc[-1], f"unknown key{hint} Allowed keys here: {', '.join(valid)}"
        )
    if chosen["type"] == "missing":
        return ScenarioError(file, field, MISSING, "this key is required")
    msg = str(chosen["msg"]).removeprefix("Value error, ")
    return ScenarioError(file, field, chosen.get("input"), msg[:1].lower() + msg[1:])


def heat_config_from_mapping(
    raw: Mapping[str, Any],
    file: str | Path | None = None,
    site_names: tuple[str, ...] | None = None,
    networks_file: Path | None = None,
) -> HeatConfig:
    """Validate a raw ``heat:`` mapping (``{<site>: {...}}``) into a :class:`HeatConfig`.

    Parameters
    ----------
    raw
        The mapping under ``heat:`` of a scenario file.
    file
        The scenario file, for messages.
    site_names
        The scenario's sites; every key of ``raw`` must be one of them when given.
    networks_file
        The network table (default: the shipped one).

    Returns
    -------
    HeatConfig
        The validated configuration.

    Raises
    ------
    ScenarioError
        A key, type or value not allowed, a network not in the table or fed
        from another site, a site not in the scenario.
    """
    if not isinstance(raw, Mapping) or not raw:
        raise ScenarioError(file, "heat", raw, "a mapping of plant sites to their heat blocks")
    try:
        config = HeatConfig.model_validate({"sites": dict(raw)})
    except ValidationError as err:
        raise _error(err, file) from None
    from nzv_energy.heat.networks import read_networks  # pandas: only when heat is given

    table = read_networks() if networks_file is None else read_networks(networks_file)
    for site, block in config.sites.items():
        if site_names is not None and site not in site_names:
            close = difflib.get_close_matches(site, list(site_names), n=1)
            hint = f" — did you mean '{close[0]}'?" if close else ""
            raise ScenarioError(
                file,
                f"heat.{site}",
                site,
                f"a site of this scenario ({', '.join(site_names)}){hint}",
            )
        for i, name in enumerate(block.networks):
            if name not in table.index:
                close = difflib.get_close_matches(name, list(table.index), n=1)
                hint = f" — did you mean '{close[0]}'?" if close else ""
                raise ScenarioError(
                    file,
                    f"heat.{site}.networks[{i}]",
                    name,
                    f"a network of {table.attrs.get('source_file', 'the network table')} "
                    f"({', '.join(table.index)}){hint}",
                )
            fed_from = table.loc[name, "site"]
            if fed_from != site:
                raise ScenarioError(
                    file,
                    f"heat.{site}.networks[{i}]",
                    name,
                    f"a network fed from {site} ({name} is fed from {fed_from})",
                )
    return config


def _complete_scenario() -> None:
    """Resolve ``Scenario.heat`` (``dict[str, SiteHeat]``) now that SiteHeat exists."""
    from nzv_energy import scenario

    scenario.Scenario.model_rebuild(_types_namespace={"SiteHeat": SiteHeat})


_complete_scenario()
