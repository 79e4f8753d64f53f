"""One folder per source (dlt ingestion, dbt transformation, checks, schedules), plus cross-cutting defs."""
