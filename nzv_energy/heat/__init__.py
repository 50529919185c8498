"""District heat: hourly demand from air temperature, heat-pump COP, network facts.

:mod:`nzv_energy.heat.demand`
    Hourly district-heat demand (MW_th) from hourly air temperature, scaled to
    an annual heat quantity (MWh_th) per calendar year.
:mod:`nzv_energy.heat.cop`
    Coefficient of performance of large heat pumps from source and sink
    temperature (fraction of the Carnot or Lorenz COP).
:mod:`nzv_energy.heat.networks`
    The district-heating networks fed by the lignite plant sites
    (``inputs/district_heat_networks.csv``).

Method, sources and assumptions: ``docs/district_heat.md``.
"""
