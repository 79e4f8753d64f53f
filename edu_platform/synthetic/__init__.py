"""Developer tools, not definitions: deterministic synthetic data per source (`synthetic/<source>.py`, driven by
`edu-platform generate <source>`) and `make run`'s default landing (`synthetic/landing/<source>.py`, which fills
the landing folder or source database when no real source is configured)."""
