"""Virtual-power-plant scheduling: rolling-horizon Pyomo/HiGHS MILP against day-ahead prices.

Public API
----------
:func:`~nzv_energy.vpp.scheduler.schedule`
    Rolling-horizon schedule of a fixed-capacity scenario (hourly results dataset).
:func:`~nzv_energy.vpp.scheduler.rule_based`
    The rule-based dispatch of the same inputs from the same initial state.
:func:`~nzv_energy.vpp.compare.comparison_table`
    Optimised vs rule-based: profit and its parts, hydrogen, starts, cycles, emissions.
:func:`~nzv_energy.vpp.rolling.run_rolling`, :func:`~nzv_energy.vpp.model.build_model`
    The rolling horizon and one window's Pyomo model, for custom studies.
:mod:`~nzv_energy.vpp.reserves`
    Reserve capacity products (FCR, aFRR) and their price file (``vpp.reserves``).
"""
