"""Who answers for what: each source's team is its `OWNER` in `defs/<source>/settings.py`; the cross-cutting
assets (the shared calendar, cross-source checks) belong to the platform team. The translators (dlt and dbt)
read this, so every bronze, silver and gold asset of a source shows the same owner in the Dagster UI."""

from edu_platform.sources import SOURCES, source_setting

PLATFORM_OWNER = "team:data-platform"
CROSS_CUTTING = ("shared",)


def owners_of(source: str) -> list[str]:
    """The source's team; a source folder without `OWNER` fails at load, naming its settings file."""
    if source in CROSS_CUTTING:
        return [PLATFORM_OWNER]
    return [source_setting(source, "OWNER")]


def all_owners() -> set[str]:
    return {PLATFORM_OWNER} | {source_setting(s, "OWNER") for s in SOURCES}
