"""numba-compiled hourly dispatch kernels (installed as ``nzv_energy.kernels``)."""
