"""nzv-energy: energy-system and sector-coupling studies of the Lausitz Net Zero Valley."""

from nzv_energy.errors import NzvError, NzvInputError, ScenarioError

__all__ = ["NzvError", "NzvInputError", "ScenarioError", "__version__"]
__version__ = "0.1.0"
