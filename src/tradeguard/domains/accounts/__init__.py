"""Identity and account protection. For now: the ``login`` event kind that proves the engine."""
