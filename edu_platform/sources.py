"""The sources the platform knows: every folder under `edu_platform/defs/` holding a `settings.py` is one, named
after its folder. Its `settings.py` declares `SOURCE` (the folder's name), `CADENCE` (how often it lands new
data: daily, weekly or monthly) and `OWNER` (the team that answers for it). Adding a source is adding a folder
(with its dbt models under `dbt/models/<layer>/<source>/`); nothing else lists the sources.

Cross-cutting folders under `defs/` (the shared calendar, quality checks, alerts) have no `settings.py`.

A source folder may offer `landing.py` with `register_partitions(instance)` (dynamic partitions discovered from
landed data). Developer tools live outside `defs/`, in `edu_platform/synthetic/`: a generator per source
(`synthetic/<source>.py`: `add_arguments(parser)`, `generate_from_args(args)`) and `make run`'s default landing
(`synthetic/landing/<source>.py`: `ensure_landed()`, default synthetic data when no real source is configured)."""

import importlib
from pathlib import Path
from types import ModuleType

DEFS_PACKAGE = "edu_platform.defs"
CADENCES = ("daily", "weekly", "monthly")


def _defs_folder() -> Path:
    return Path(importlib.import_module(DEFS_PACKAGE).__path__[0])


def discover_sources() -> tuple[str, ...]:
    """The folders under `defs/` with a `settings.py`, in name order."""
    return tuple(sorted(p.name for p in _defs_folder().iterdir() if (p / "settings.py").is_file()))


SOURCES = discover_sources()


# developer tools live outside the definitions
TOOL_MODULES = {"generator": "edu_platform.synthetic.{source}", "default_landing": "edu_platform.synthetic.landing.{source}"}


def source_module(source: str, module: str) -> ModuleType | None:
    name = TOOL_MODULES.get(module, DEFS_PACKAGE + ".{source}.{module}").format(source=source, module=module)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(f"{exc.name}.")):
            return None
        raise


def source_setting(source: str, name: str) -> str:
    """A required declaration of a source's `settings.py` (CADENCE, OWNER); its absence fails the load, naming
    the file and the setting."""
    settings = source_module(source, "settings")
    value = getattr(settings, name, None) if settings is not None else None
    if not value:
        raise ValueError(f"source {source!r} declares no {name}: set {name} in edu_platform/defs/{source}/settings.py")
    if name == "CADENCE" and value not in CADENCES:
        raise ValueError(
            f"source {source!r}: CADENCE={value!r} in edu_platform/defs/{source}/settings.py is not one of {', '.join(CADENCES)}"
        )
    return value

