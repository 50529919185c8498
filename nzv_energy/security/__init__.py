"""Security of supply: the firm power a fixed portfolio guarantees (docs/security_of_supply.md)."""

from nzv_energy.security.firm import (
    FirmBound,
    capacity_credit_curve,
    firm_capacity_bound,
    firm_table,
    summary_lines,
)

__all__ = [
    "FirmBound",
    "capacity_credit_curve",
    "firm_capacity_bound",
    "firm_table",
    "summary_lines",
]
