"""Scenario sweeps and Monte Carlo ensembles, run serially or on Dask.

A sweep file names a base scenario and what varies (grids or zipped lists of
field values, Monte Carlo draws, weather years).
:func:`nzv_energy.sweep.spec.load_sweep` validates it,
:func:`nzv_energy.sweep.members.expand_members` turns it into a member table,
:mod:`nzv_energy.sweep.engine` (Dask) or :mod:`nzv_energy.sweep.serial`
evaluate the members in batches and :mod:`nzv_energy.sweep.results` builds one
``xarray.Dataset`` of KPIs over the swept dimensions.
"""
