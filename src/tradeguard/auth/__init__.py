"""API keys and roles (operators with passwords join in the console issue)."""
