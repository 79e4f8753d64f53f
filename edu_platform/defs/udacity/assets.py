"""Course-file assets: bronze facts per (month, nanodegree) partition, bronze dimensions unpartitioned,
the dbt silver/gold models in two groups of the same shape (one @dbt_assets per partitions definition),
and the bronze contracts."""

from datetime import date

from dagster import AssetExecutionContext, MultiPartitionKey
from dagster_dlt import DagsterDltResource, dlt_assets

from edu_platform.defs.udacity.settings import CONTRACTS, DIMENSION, FACT_FILES, SOURCE, month_folder, source_url, start_month, validate_nanodegree
from edu_platform.defs.udacity.source import delete_empty_partitions, udacity_dims_source, udacity_facts_source
from edu_platform.lib.checks import bronze_checks
from edu_platform.lib.dbt import build_dbt_assets
from edu_platform.lib.dlt_pipelines import EduDltTranslator, bronze_table, declaration_pipeline
from edu_platform.lib.dlt_runs import run_bronze_load
from edu_platform.lib.partitions import monthly_by_dimension

UDACITY_PARTITIONS = monthly_by_dimension(start_month(), DIMENSION)
DIMS_DBT_TAG = "udacity_dims"
FACTS_DBT_TAG = "udacity_facts"


def partition_of(context: AssetExecutionContext) -> tuple[str, str]:
    """(nanodegree, month 'YYYY-MM-01') of the running partition; the nanodegree is validated first."""
    key = context.partition_key
    if not isinstance(key, MultiPartitionKey):
        key = UDACITY_PARTITIONS.get_partition_key_from_str(key)
    by_dimension = key.keys_by_dimension
    return validate_nanodegree(by_dimension[DIMENSION]), by_dimension["month"]


def udacity_partition_vars(context: AssetExecutionContext) -> dict:
    """dbt vars for one partition: the month window and the nanodegree."""
    nanodegree, month = partition_of(context)
    start = date.fromisoformat(month)
    end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return {"min_date": start.isoformat(), "max_date": end.isoformat(), "nanodegree": nanodegree}


@dlt_assets(
    dlt_source=udacity_facts_source(root="declared", nanodegree="declared", month="2000-01"),
    dlt_pipeline=declaration_pipeline(SOURCE),
    name="udacity_facts_bronze",
    dagster_dlt_translator=EduDltTranslator(SOURCE),
    partitions_def=UDACITY_PARTITIONS,
    pool="dlt_udacity",
)
def udacity_facts_bronze(context: AssetExecutionContext, dlt: DagsterDltResource):
    nanodegree, month = partition_of(context)
    root = source_url()
    folder = month_folder(root, nanodegree, month)
    row_counts: dict[str, int] = {}
    yield from run_bronze_load(
        context,
        dlt,
        SOURCE,
        udacity_facts_source(root, nanodegree, month, row_counts),
        describe_table=lambda table: f"{folder}/{_FILE_OF_TABLE.get(table, table)}",
        loader_file_format="csv",
    )
    emptied = delete_empty_partitions(nanodegree, month, row_counts)
    context.log.info(f"partition {nanodegree} {month[:7]}: rows {row_counts}" + (f"; emptied {emptied}" if emptied else ""))


_FILE_OF_TABLE = {bronze_table(SOURCE, stem): f"{stem}.csv" for stem in FACT_FILES}


@dlt_assets(
    dlt_source=udacity_dims_source(root="declared"),
    dlt_pipeline=declaration_pipeline(SOURCE),
    name="udacity_dims_bronze",
    dagster_dlt_translator=EduDltTranslator(SOURCE),
    pool="dlt_udacity",
)
def udacity_dims_bronze(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from run_bronze_load(context, dlt, SOURCE, udacity_dims_source(source_url()), loader_file_format="csv")


udacity_bronze_checks = bronze_checks(SOURCE, CONTRACTS)

# Two @dbt_assets, one per partitions definition, selected by model tag (udacity_dims / udacity_facts).
# Tests are declared in YAML files split the same way (`_udacity__dims.yml` / `_udacity__facts.yml`): a
# fact's relationship test to a dimension runs with the facts (dbt's eager selection), and is excluded by
# path from the dimension build, which would otherwise pick it up too.
_FACT_TESTS = "path:models/silver/udacity/_udacity__facts.yml path:models/gold/udacity/_udacity__facts.yml"

# dimensions (users, projects, videos, nanodegree): unpartitioned, rebuilt from the merged bronze
udacity_dims_dbt = build_dbt_assets(
    name="udacity_dims_dbt", select=f"tag:{SOURCE},tag:{DIMS_DBT_TAG}", exclude=_FACT_TESTS,
)
# facts, sessions and marts: one (month, nanodegree) partition at a time
udacity_facts_dbt = build_dbt_assets(
    name="udacity_facts_dbt",
    select=f"tag:{SOURCE},tag:{FACTS_DBT_TAG}",
    partitions_def=UDACITY_PARTITIONS,
    vars_fn=udacity_partition_vars,
)
