"""Coefficient of performance (COP) of large heat pumps from source and sink temperature.

Quality-grade (Carnot-fraction) model, as used for large heat pumps in
energy-system models::

    COP = eta * T_sink / max(T_sink - T_source, min_lift_k)        (temperatures in K)

``T_sink`` is the network supply temperature, or, when the return
temperature is given, the logarithmic mean of supply and return
temperatures (the Lorenz temperature of a heat sink that is heated from
return to supply, Jensen et al. 2018; the heat pump then heats the water
over the whole range rather than at the supply temperature only).
``T_source`` is the air temperature for an air-source heat pump, or a fixed
temperature for waste heat (electrolyser cooling water, see
:data:`ELECTROLYSER_WASTE_HEAT_DEGC`).

``eta`` (the quality grade, or Carnot efficiency) defaults to 0.5, range
0.4-0.6 (sources in ``docs/district_heat.md``). The lift is floored at
``min_lift_k`` (10 K) so that the COP stays finite when the source is as warm
as the sink; there the heat could be used directly, without a heat pump.
With ``eta < 1`` the COP never exceeds the Carnot (or Lorenz) COP of the
same temperatures, and it never falls when the source gets warmer.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from nzv_energy.errors import ScenarioError

ZERO_CELSIUS_K = 273.15
"""0 °C in kelvin."""

CARNOT_FRACTION = 0.5
"""Default quality grade of a large heat pump (fraction of the Carnot / Lorenz COP)."""

CARNOT_FRACTION_RANGE = (0.4, 0.6)
"""Range of the quality grade for sensitivity runs."""

MIN_LIFT_K = 10.0
"""Smallest temperature lift used in the COP formula, K."""

ELECTROLYSER_WASTE_HEAT_DEGC = 60.0
"""Temperature of recoverable electrolyser waste heat (cooling-water outlet), °C.

PEM stack outlet about 62 °C, 57 °C after the heat exchanger (van der Roest
et al. 2023, Int. J. Hydrogen Energy 48:27872); 79-80 °C for PEM and alkaline
systems run hot (Jonsson & Miljanovic 2022, Mälardalen University). Range
55-80 °C; 60 °C is the cautious value.
"""

ELECTROLYSER_WASTE_HEAT_RANGE_DEGC = (55.0, 80.0)
"""Range of the electrolyser waste-heat temperature, °C."""

FloatArray = npt.NDArray[np.float64]


def _as_kelvin(values_degc: npt.ArrayLike, field: str) -> FloatArray:
    kelvin = np.asarray(values_degc, dtype=np.float64) + ZERO_CELSIUS_K
    if not np.all(np.isfinite(kelvin)) or np.any(kelvin <= 0.0):
        bad = kelvin[~np.isfinite(kelvin) | (kelvin <= 0.0)].ravel()[0] - ZERO_CELSIUS_K
        raise ScenarioError(None, field, float(bad), "finite temperatures above -273.15 °C")
    return kelvin


def lorenz_temperature_k(supply_degc: npt.ArrayLike, return_degc: npt.ArrayLike) -> FloatArray:
    """Return the logarithmic mean of supply and return temperature, K.

    Parameters
    ----------
    supply_degc, return_degc
        Network supply and return temperatures, °C; supply above return.

    Returns
    -------
    numpy.ndarray
        ``(T_s - T_r) / ln(T_s / T_r)`` in K (broadcast shape).
    """
    supply_k = _as_kelvin(supply_degc, "heat.supply_temperature_c")
    return_k = _as_kelvin(return_degc, "heat.return_temperature_c")
    if np.any(supply_k <= return_k):
        raise ScenarioError(
            None,
            "heat.return_temperature_c",
            float(np.max(return_k - ZERO_CELSIUS_K)),
            "a return temperature below the supply temperature",
        )
    return np.asarray((supply_k - return_k) / np.log(supply_k / return_k), dtype=np.float64)


def carnot_cop(source_degc: npt.ArrayLike, sink_degc: npt.ArrayLike) -> FloatArray:
    """Return the Carnot heating COP ``T_sink / (T_sink - T_source)``; inf when no lift.

    Parameters
    ----------
    source_degc, sink_degc
        Source and sink temperatures, °C.

    Returns
    -------
    numpy.ndarray
        Carnot COP (broadcast shape); ``inf`` where the source is at least as
        warm as the sink.
    """
    source_k = _as_kelvin(source_degc, "heat.source_temperature_c")
    sink_k = _as_kelvin(sink_degc, "heat.supply_temperature_c")
    lift = sink_k - source_k
    with np.errstate(divide="ignore"):
        cop = np.where(lift > 0.0, sink_k / np.where(lift > 0.0, lift, 1.0), np.inf)
    return np.asarray(cop, dtype=np.float64)


def heat_pump_cop(
    source_degc: npt.ArrayLike,
    supply_degc: npt.ArrayLike,
    return_degc: npt.ArrayLike | None = None,
    carnot_fraction: float = CARNOT_FRACTION,
    min_lift_k: float = MIN_LIFT_K,
) -> FloatArray:
    """Return the heating COP of a large heat pump (see the module docstring).

    Parameters
    ----------
    source_degc
        Source temperature, °C (hourly air temperature, or a constant for waste heat).
    supply_degc
        Network supply temperature, °C.
    return_degc
        Network return temperature, °C; when given the sink temperature is the
        logarithmic mean of supply and return (Lorenz), else the supply temperature.
    carnot_fraction
        Quality grade ``eta`` in (0, 1].
    min_lift_k
        Smallest lift used, K (> 0).

    Returns
    -------
    numpy.ndarray
        COP = heat out / electricity in (broadcast shape of the inputs).

    Raises
    ------
    ScenarioError
        Quality grade outside (0, 1], lift floor not positive, temperatures
        not finite or return not below supply.
    """
    if not (np.isfinite(carnot_fraction) and 0.0 < carnot_fraction <= 1.0):
        raise ScenarioError(
            None, "heat_pump.carnot_fraction", carnot_fraction, "a fraction in (0, 1]"
        )
    if not (np.isfinite(min_lift_k) and min_lift_k > 0.0):
        raise ScenarioError(None, "heat_pump.min_lift_k", min_lift_k, "a positive number of K")
    source_k = _as_kelvin(source_degc, "heat.source_temperature_c")
    if return_degc is None:
        sink_k = _as_kelvin(supply_degc, "heat.supply_temperature_c")
    else:
        sink_k = lorenz_temperature_k(supply_degc, return_degc)
    lift = np.maximum(sink_k - source_k, min_lift_k)
    return np.asarray(carnot_fraction * sink_k / lift, dtype=np.float64)
