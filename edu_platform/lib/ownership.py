"""Who answers for what: one team per source, set here and nowhere else. The translators (dlt and dbt) read
this, so every bronze, silver and gold asset of a source shows the same owner in the Dagster UI."""

OWNERS: dict[str, str] = {
    "oulad": "team:learning-analytics",
    "dost": "team:dost-programs",
    "udacity": "team:course-product",
    "shared": "team:data-platform",  # conformed dimensions (dim_date) and cross-source checks
}


def owners_of(source: str) -> list[str]:
    """The source's team; a source missing here fails at load, naming this module."""
    if source not in OWNERS:
        raise KeyError(f"source {source!r} has no owner: add it to OWNERS in {__name__}")
    return [OWNERS[source]]
