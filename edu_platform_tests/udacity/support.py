"""Test support for the course source."""


def run_dbt(mp, wh, *args):
    """dbt itself (no Dagster) against `wh`, e.g. for gold.dim_date, which another asset (oulad_dbt) owns."""
    from edu_platform.lib.dbt import dbt_resource

    for name, value in wh.dbt_env().items():
        mp.setenv(name, value)
    dbt_resource().cli(list(args)).wait()
