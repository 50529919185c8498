"""The hourly results dataset: one definition of every variable (name, dims, unit, meaning).

The numba dispatch, the PyPSA optimiser and the Pyomo scheduler all return an
``xarray.Dataset`` with these variables, so figures and reports work on any of them.

Balances (every hour, every site)::

    wind + pv + battery_discharge + grid_import + gas_backup
        = electrolysis_input + battery_charge + grid_export + curtailment + local_demand

    hydrogen_output + hydrogen_storage_discharge
        = pipeline_flow + hydrogen_storage_charge + gas_backup_hydrogen_fuel

and at the demand site: ``sum(pipeline_flow) = hydrogen_delivered`` and
``hydrogen_delivered + unserved_hydrogen = hydrogen_demand``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import xarray as xr


class Variable(NamedTuple):
    """One hourly result variable."""

    dims: tuple[str, ...]
    units: str
    long_name: str


SITE_VARIABLES: dict[str, Variable] = {
    "wind_mw": Variable(("time", "site"), "MW", "wind generation"),
    "pv_mw": Variable(("time", "site"), "MW", "PV generation"),
    "curtailment_mw": Variable(("time", "site"), "MW", "curtailed renewable generation"),
    "local_demand_mw": Variable(("time", "site"), "MW", "site electric load served"),
    "electrolysis_input_mw": Variable(
        ("time", "site"), "MW", "electrolyser electricity use incl. standby"
    ),
    "electrolysis_standby_mw": Variable(("time", "site"), "MW", "electrolyser standby use"),
    "hydrogen_output_mw": Variable(("time", "site"), "MW_H2", "hydrogen produced (LHV)"),
    "electrolysis_on": Variable(("time", "site"), "1", "electrolyser running (1) or off (0)"),
    "battery_charge_mw": Variable(("time", "site"), "MW", "battery charging (AC side)"),
    "battery_discharge_mw": Variable(("time", "site"), "MW", "battery discharging (AC side)"),
    "battery_soc_mwh": Variable(("time", "site"), "MWh", "battery state of charge, end of hour"),
    "grid_import_mw": Variable(("time", "site"), "MW", "power bought from the grid"),
    "grid_export_mw": Variable(("time", "site"), "MW", "power sold to the grid"),
    "gas_backup_mw": Variable(("time", "site"), "MW", "gas backup electric output"),
    "gas_backup_fuel_mw": Variable(("time", "site"), "MW_th", "gas backup fuel use (LHV)"),
    "gas_backup_hydrogen_fuel_mw": Variable(
        ("time", "site"), "MW_H2", "hydrogen burnt in the gas backup"
    ),
    "hydrogen_storage_charge_mw": Variable(("time", "site"), "MW_H2", "hydrogen into storage"),
    "hydrogen_storage_discharge_mw": Variable(("time", "site"), "MW_H2", "hydrogen out of storage"),
    "hydrogen_storage_mwh": Variable(
        ("time", "site"), "MWh_H2", "hydrogen storage level, end of hour"
    ),
    "pipeline_flow_mw": Variable(("time", "site"), "MW_H2", "pipeline flow to the demand site"),
    "rfnbo_hydrogen_mw": Variable(
        ("time", "site"), "MW_H2", "hydrogen counted renewable (RFNBO, Delegated Act 2023/1184)"
    ),
}

#: Variables of a firm commitment (``security.firm_mw > 0``, docs/security_of_supply.md):
#: in a dataset only when given to :func:`make_dataset` (never filled with zeros).
FIRM_VARIABLES: dict[str, Variable] = {
    "firm_delivery_mw": Variable(
        ("time",), "MW", "firm commitment delivered (net export of all sites, at most firm_mw)"
    ),
    "firm_shortfall_mw": Variable(("time",), "MW", "firm commitment not delivered"),
}
#: Variables a dataset carries only when given.
OPTIONAL_VARIABLES: dict[str, Variable] = {**FIRM_VARIABLES}

#: System variables, the optional ones included.
SYSTEM_VARIABLES: dict[str, Variable] = {
    "hydrogen_demand_mw": Variable(("time",), "MW_H2", "hydrogen demand at the off-taker"),
    "hydrogen_delivered_mw": Variable(("time",), "MW_H2", "hydrogen delivered to the off-taker"),
    "unserved_hydrogen_mw": Variable(("time",), "MW_H2", "hydrogen demand not served"),
    "price_eur_per_mwh": Variable(("time",), "EUR/MWh", "day-ahead electricity price"),
    **FIRM_VARIABLES,
}

#: Variables every results dataset carries.
VARIABLES: dict[str, Variable] = {
    name: var for name, var in {**SITE_VARIABLES, **SYSTEM_VARIABLES}.items()
    if name not in OPTIONAL_VARIABLES
}


def make_dataset(
    time: np.ndarray,
    sites: tuple[str, ...] | list[str],
    data: Mapping[str, np.ndarray],
    attrs: Mapping[str, object] | None = None,
) -> xr.Dataset:
    """Build the hourly results dataset from arrays, with units and names in attrs.

    Parameters
    ----------
    time
        Hourly time stamps.
    sites
        Site names.
    data
        Variable name -> array; site variables shaped ``(n_time, n_site)``, system
        variables ``(n_time,)``.  Every name must be in :data:`VARIABLES` or
        :data:`OPTIONAL_VARIABLES`; missing variables of :data:`VARIABLES`
        are filled with zeros.
    attrs
        Dataset attributes (model, scenario name, provenance...).
    """
    unknown = set(data) - set(VARIABLES) - set(OPTIONAL_VARIABLES)
    if unknown:
        raise KeyError(f"not in the results schema: {sorted(unknown)}")
    n_t, n_s = len(time), len(sites)
    out = {}
    given = {name: var for name, var in OPTIONAL_VARIABLES.items() if name in data}
    for name, var in {**VARIABLES, **given}.items():
        shape = (n_t, n_s) if var.dims == ("time", "site") else (n_t,)
        values = np.asarray(data.get(name, np.zeros(shape)), dtype=np.float64)
        if values.shape != shape:
            raise ValueError(f"{name}: shape {values.shape}, expected {shape}")
        out[name] = xr.Variable(var.dims, values, {"units": var.units, "long_name": var.long_name})
    ds = xr.Dataset(out, coords={"time": time, "site": list(sites)})
    ds.attrs.update(attrs or {})
    return ds
