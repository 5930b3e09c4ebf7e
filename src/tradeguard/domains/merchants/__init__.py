"""Platform supervision: merchant verification (KYB) and sanctions screening."""
