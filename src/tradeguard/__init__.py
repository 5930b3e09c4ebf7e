"""TradeGuard: risk control and protection for cross-border e-commerce."""

__version__ = "0.1.0"
