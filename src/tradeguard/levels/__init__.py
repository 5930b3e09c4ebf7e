"""Protection levels: the control catalog, measured evidence, attestations and assessments."""
