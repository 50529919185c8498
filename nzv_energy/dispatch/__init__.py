"""Hourly rule-based dispatch of fixed capacities (numba kernels), KPIs and LCOH.

Public API
----------
:func:`simulate`
    Hourly results dataset of every weather year of a scenario.
:func:`compute_kpis`
    KPIs and LCOH breakdown per weather year of a results dataset.
:func:`run_ensemble`
    Many members (weather year x capacities x parameters) in parallel, KPIs only.
"""

from nzv_energy.dispatch.ensemble import EnsembleResult, run_ensemble
from nzv_energy.dispatch.kpis import (
    KPI_COLUMNS,
    LCOH_COMPONENTS,
    SITE_KPI_COLUMNS,
    compute_kpis,
    kpi_frame,
    site_kpis,
)
from nzv_energy.dispatch.parameters import (
    CAPACITY_NAMES,
    COST_PARAMETER_NAMES,
    DISPATCH_PARAMETER_NAMES,
    capacity_array,
    cost_parameter_vector,
    dispatch_parameter_vector,
)
from nzv_energy.dispatch.simulate import simulate

__all__ = [
    "CAPACITY_NAMES",
    "COST_PARAMETER_NAMES",
    "DISPATCH_PARAMETER_NAMES",
    "KPI_COLUMNS",
    "LCOH_COMPONENTS",
    "SITE_KPI_COLUMNS",
    "EnsembleResult",
    "capacity_array",
    "compute_kpis",
    "cost_parameter_vector",
    "dispatch_parameter_vector",
    "kpi_frame",
    "run_ensemble",
    "simulate",
    "site_kpis",
]
