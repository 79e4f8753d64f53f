"""`make run`'s default data: each module's `ensure_landed()` lands synthetic data for its source when no real
source is configured (and returns a line saying what it generated, or None)."""
