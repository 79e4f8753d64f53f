"""Source-free assets every source's gold joins on: the conformed calendar `gold/shared/dim_date`.

It is built by a dbt step of its own, with no upstream asset, so no source's failure or blocking check can
stop it (and so stop the other sources' gold that joins on it)."""

from edu_platform.lib.dbt import build_dbt_assets

shared_dbt_assets = build_dbt_assets(name="shared_dbt", source="shared")
