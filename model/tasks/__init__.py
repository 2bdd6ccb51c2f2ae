"""Training tasks: seeded generators of batches, each with a metric (see base.py)."""
