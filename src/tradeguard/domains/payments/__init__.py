"""Payment security: orders and what is learnt about them later (declines, chargebacks)."""
