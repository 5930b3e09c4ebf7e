"""Collectors, one module per area of TradeGuard they read; each registers on import."""
