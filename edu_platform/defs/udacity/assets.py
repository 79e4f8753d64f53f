"""Course-file assets: bronze facts per (month, nanodegree) partition, bronze dimensions unpartitioned,
the dbt silver/gold models in two groups of the same shape (one @dbt_assets per partitions definition),
and the bronze checks."""

from datetime import date

from dagster import AssetExecutionContext, BackfillPolicy
from dagster_dlt import DagsterDltResource

from edu_platform.defs.udacity.settings import DIMENSION, SOURCE, month_folder, source_url, start_month, validate_nanodegree
from edu_platform.defs.udacity.source import (
    delete_empty_partitions,
    list_landed,
    udacity_dims_source,
    udacity_facts_source,
)
from edu_platform.defs.udacity.tables import FACTS, TABLES
from edu_platform.lib.checks import bronze_checks
from edu_platform.lib.dbt import build_dbt_assets
from edu_platform.lib.dlt_pipelines import bronze_dlt_assets, tables_not_in_bronze
from edu_platform.lib.dlt_runs import run_bronze_load
from edu_platform.lib.partitions import monthly_by_dimension

UDACITY_PARTITIONS = monthly_by_dimension(start_month(), DIMENSION)
DIMS_DBT_TAG = "udacity_dims"
FACTS_DBT_TAG = "udacity_facts"
# A backfill (or a catch-up) over months x nanodegrees is one run per range: the dlt load and the dbt build
# each pay their fixed cost once, not once per partition.
SINGLE_RUN = BackfillPolicy.single_run()


def partitions_of(context: AssetExecutionContext) -> list[tuple[str, str]]:
    """(nanodegree, month 'YYYY-MM-01') of every partition of the run (one, or a backfill range), the
    nanodegrees validated first. A range is every month from its first to its last for every nanodegree
    between its two ends (Dagster's reading of a multi-partition range), which `udacity_partition_vars` relies on."""
    out = []
    for key in context.partition_keys:
        by_dimension = UDACITY_PARTITIONS.get_partition_key_from_str(key).keys_by_dimension
        out.append((validate_nanodegree(by_dimension[DIMENSION]), by_dimension["month"]))
    return out


def _next_month(month: str) -> str:
    start = date.fromisoformat(month)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1).isoformat()


def udacity_partition_vars(context: AssetExecutionContext) -> dict:
    """dbt vars for the run's partitions: the month window (min_date, max_date) and the nanodegrees. The
    incremental models replace every (month, nanodegree) of window x nanodegrees, which must be exactly the
    run's partitions: anything else is refused rather than rebuilt too wide."""
    partitions = set(partitions_of(context))
    nanodegrees = sorted({n for n, _ in partitions})
    months = sorted({m for _, m in partitions})
    window = [months[0]]
    while window[-1] < months[-1]:
        window.append(_next_month(window[-1]))
    if partitions != {(n, m) for n in nanodegrees for m in window}:
        raise ValueError(
            f"the run's {len(partitions)} partitions are not every month from {months[0][:7]} to {months[-1][:7]}"
            f" for each of {nanodegrees}: run them as ranges of months x nanodegrees (edu_platform.lib.partitions.range_runs)"
        )
    return {"min_date": months[0], "max_date": _next_month(months[-1]), "nanodegrees": nanodegrees}


@bronze_dlt_assets(
    TABLES,
    udacity_facts_source(declared=True),
    name="udacity_facts_bronze",
    partitions_def=UDACITY_PARTITIONS,
    backfill_policy=SINGLE_RUN,
)
def udacity_facts_bronze(context: AssetExecutionContext, dlt: DagsterDltResource):
    """One dlt load for every partition of the run. Every folder is listed first: a partition whose folder
    lacks a file fails the run, naming it, before anything loads, so no partition of the range is replaced
    or materialized and a retry (or a narrower backfill) picks them all up."""
    partitions = partitions_of(context)
    root = source_url()
    landed = list_landed(root, partitions)
    row_counts: dict[tuple[str, str, str], int] = {}
    emptied: list[str] = []
    yield from run_bronze_load(
        context,
        dlt,
        TABLES,
        udacity_facts_source(root, partitions, row_counts, landed=landed, first_load=tables_not_in_bronze(FACTS)),
        describe_table=lambda table: _describe(root, partitions, table),
        loader_file_format="csv",
        after_load=lambda: emptied.extend(delete_empty_partitions(row_counts)),  # counted as the load's deleted rows
    )
    context.log.info(
        f"{len(partitions)} partitions ({_label(partitions)}): {sum(row_counts.values())} rows"
        + (f"; emptied {emptied}" if emptied else "")
    )


def _describe(root: str, partitions: list[tuple[str, str]], table: str) -> str:
    """Where a COPY error's line comes from: the file of a single partition; in a range, the load file
    gathers every partition's file, so the error names the file kind and the range (the row shows its
    nanodegree and month)."""
    file = _FILE_OF_TABLE.get(table, table)
    if len(partitions) == 1:
        return f"{month_folder(root, *partitions[0])}/{file}"
    return f"{file} of partitions {_label(partitions)} (line of the combined load)"


def _label(partitions: list[tuple[str, str]]) -> str:
    months = sorted({m[:7] for _, m in partitions})
    nanodegrees = sorted({n for n, _ in partitions})
    return f"{months[0]}..{months[-1]} x {', '.join(nanodegrees)}"


_FILE_OF_TABLE = {t.relation: f"{t.origin}.csv" for t in FACTS}


@bronze_dlt_assets(TABLES, udacity_dims_source(declared=True), name="udacity_dims_bronze")
def udacity_dims_bronze(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from run_bronze_load(context, dlt, TABLES, udacity_dims_source(source_url()), loader_file_format="csv")


udacity_bronze_checks = bronze_checks(TABLES)

# Two @dbt_assets, one per partitions definition, split by model tag (udacity_dims / udacity_facts). A fact's
# relationship test to a dimension runs with the facts: dbt's `buildable` indirect selection (lib/dbt.py) leaves
# it out of the dimension build, which does not build its fact.

# dimensions (users, projects, videos, nanodegree): unpartitioned, rebuilt from the merged bronze
udacity_dims_dbt = build_dbt_assets(name="udacity_dims_dbt", source=SOURCE, narrow=f"tag:{DIMS_DBT_TAG}")
# facts, sessions and marts: the run's (month, nanodegree) partitions in one dbt build
udacity_facts_dbt = build_dbt_assets(
    name="udacity_facts_dbt",
    source=SOURCE,
    narrow=f"tag:{FACTS_DBT_TAG}",
    partitions_def=UDACITY_PARTITIONS,
    vars_fn=udacity_partition_vars,
    backfill_policy=SINGLE_RUN,
)
