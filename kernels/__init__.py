"""numba-compiled hourly dispatch kernels (installed as ``nzv_energy.kernels``).

* :mod:`nzv_energy.kernels.dispatch` - the rule loop of one weather year
  (``dispatch_pass``, ``simulate_year``) and the array layouts it uses;
* :mod:`nzv_energy.kernels.lanes` - the same rules for a block of ensemble members at
  once, the members in SIMD lanes (KPI-only members without the optional rules);
* :mod:`nzv_energy.kernels.ensemble` - many members in one call (``prange`` or
  GIL-free serial loops for thread pools), one by one or in blocks of lanes.

The kernels trust their arguments; call them through :mod:`nzv_energy.dispatch`.
"""

from ._cache import drop_stale_cache

# numba's on-disk cache checks only the file that defines a function, so the ensemble
# kernels' cached machine code would outlive a change of the dispatch loop they inline.
drop_stale_cache()
