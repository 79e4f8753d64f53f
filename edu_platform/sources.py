"""The sources the platform knows, for the CLI: each source folder may offer `landing.py` with
`ensure_landed()` (default synthetic data when no real source is configured) and
`register_partitions(instance)` (dynamic partitions discovered from landed data), and `generator.py`
with `add_arguments(parser)` and `generate_from_args(args)`."""

import importlib
from types import ModuleType

SOURCES = ("oulad", "dost", "udacity")


def source_module(source: str, module: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"edu_platform.defs.{source}.{module}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith(f"edu_platform.defs.{source}"):
            return None
        raise


def available_sources() -> list[str]:
    return [s for s in SOURCES if source_module(s, "settings") is not None]
