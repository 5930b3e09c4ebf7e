"""``tradeguard demo``: a realistic cross-border shop, screened by the real engine."""
