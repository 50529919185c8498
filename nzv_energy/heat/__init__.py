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
:mod:`nzv_energy.heat.assets`
    Heat configuration of a plant site (networks supplied, heat assets) and its validation.
:mod:`nzv_energy.heat.costs`
    The heat rows of ``inputs/costs.csv``.
:mod:`nzv_energy.heat.inputs`
    Hourly heat demand and COPs of a site for the weather years, and the heat
    kernel's capacity and parameter vectors.
:mod:`nzv_energy.heat.simulate`
    The heat rules (``kernels/heat.py``) over a year, on a dispatch result.

Method, sources and assumptions: ``docs/district_heat.md``.
"""
