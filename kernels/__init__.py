"""numba-compiled hourly dispatch kernels (installed as ``nzv_energy.kernels``).

* :mod:`nzv_energy.kernels.dispatch` - the rule loop of one weather year
  (``dispatch_pass``, ``simulate_year``) and the array layouts it uses;
* :mod:`nzv_energy.kernels.ensemble` - many members in one call (``prange`` or
  GIL-free serial loops for thread pools).

The kernels trust their arguments; call them through :mod:`nzv_energy.dispatch`.
"""
