"""Security of supply: the firm power a fixed portfolio guarantees (docs/security_of_supply.md)."""

from nzv_energy.security.firm import (
    FirmBound,
    capacity_credit_curve,
    firm_capacity_bound,
    firm_table,
    summary_lines,
)
from nzv_energy.security.rules import RulesShortfall, rules_firm_capacity, rules_shortfall

__all__ = [
    "FirmBound",
    "RulesShortfall",
    "capacity_credit_curve",
    "firm_capacity_bound",
    "firm_table",
    "rules_firm_capacity",
    "rules_shortfall",
    "summary_lines",
]
