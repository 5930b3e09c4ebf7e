"""The screening engine: event -> checks -> verdict -> case."""
