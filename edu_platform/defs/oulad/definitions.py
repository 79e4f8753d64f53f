from dagster import Definitions

from edu_platform.defs.oulad.assets import oulad_bronze_assets, oulad_bronze_checks, oulad_dbt_assets

defs = Definitions(assets=[oulad_bronze_assets, oulad_dbt_assets], asset_checks=oulad_bronze_checks)
