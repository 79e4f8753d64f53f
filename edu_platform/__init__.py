"""edu_platform: learning-analytics assets (dlt -> bronze, dbt -> silver/gold) orchestrated by Dagster."""
