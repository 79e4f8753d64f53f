"""Dost assets: the weekly dlt bronze load, the weekly dbt silver/gold models, and the bronze checks.

A weekly partition (or a range of them, in one run: single-run backfill policy) is a time window
[start, end). dlt reads the rows whose updated_at (created_on for experience) lies in
[start - lag, end) and merges them on the primary key; dbt gets the same window as vars
(min_date, max_date, dost_lag_hours) and delete+inserts what it touched.
"""

from dagster import AssetExecutionContext, BackfillPolicy
from dagster_dlt import DagsterDltResource
from psycopg2 import sql

from edu_platform.defs.dost.settings import SOURCE, first_week, lag_hours, source_warehouse
from edu_platform.defs.dost.source import dost_source
from edu_platform.defs.dost.tables import TABLES
from edu_platform.lib.checks import bronze_checks
from edu_platform.lib.dbt import build_dbt_assets, partition_window_vars
from edu_platform.lib.dlt_pipelines import BRONZE_SCHEMA, bronze_dlt_assets, tables_not_in_bronze
from edu_platform.lib.dlt_runs import run_bronze_load
from edu_platform.lib.partitions import weekly_partitions
from edu_platform.lib.warehouse import warehouse_as

dost_weekly_partitions = weekly_partitions(first_week())


@bronze_dlt_assets(
    TABLES,
    dost_source(declared=True),
    name="dost_bronze",
    partitions_def=dost_weekly_partitions,
    backfill_policy=BackfillPolicy.single_run(),
)
def dost_bronze_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    window = context.partition_time_window
    context.log.info(f"Dost window [{window.start}, {window.end}) read from {lag_hours():g} h before its start")
    first_load = tables_not_in_bronze(TABLES)
    yield from run_bronze_load(
        context,
        dlt,
        TABLES,
        dost_source(window_start=window.start, window_end=window.end, first_load=first_load),
        source_label=f"Dost source database {source_warehouse().display_name()}",
        loader_file_format="parquet",
    )
    index_bronze(vacuum=first_load)


def index_bronze(vacuum: frozenset = frozenset()) -> None:
    """dlt creates bronze tables without indexes. The merge's delete looks keys up: a btree on the key. Silver
    reads a week by its window columns, and bronze grows in that order (a week's rows arrive together): BRIN,
    which costs next to nothing to keep up, where a btree on the window column would cost the merge more than
    the merge itself. Tables just loaded for the first time are vacuumed and analyzed: the next week's merge
    plans an index lookup of its few keys instead of a scan of the whole history, and the load pays for its own
    rows' hint bits and visibility map instead of the next run that touches them."""
    with warehouse_as("loader").cursor() as cur:
        cur.execute(
            "select c.relname, am.amname from pg_index i join pg_class c on c.oid = i.indexrelid"
            " join pg_am am on am.oid = c.relam join pg_namespace n on n.oid = c.relnamespace where n.nspname = %s",
            (BRONZE_SCHEMA,),
        )
        existing = dict(cur.fetchall())
        for table in TABLES:
            relation = table.relation
            cur.execute("select to_regclass(%s)", (f"{BRONZE_SCHEMA}.{relation}",))
            if cur.fetchone()[0] is None:
                continue
            key = table.source_key[0]
            window_columns = [c for c in (table.cursor, "created_on" if table.name == "users" else None) if c]
            for column, method in [(key, "btree"), *((c, "brin") for c in window_columns if c != key)]:
                name = f"{relation}_{column}"
                if existing.get(name) == method:
                    continue  # even `if not exists` queues behind autovacuum for its lock
                if name in existing:  # a btree from an earlier version of this platform
                    cur.execute(sql.SQL("drop index {}").format(sql.Identifier(BRONZE_SCHEMA, name)))
                # autosummarize: autovacuum summarizes each new block range as it fills, so the weeks after it
                # do not pile up unsummarized (read in full by every window query)
                options = sql.SQL(" with (autosummarize = on)" if method == "brin" else "")
                cur.execute(
                    sql.SQL("create index if not exists {} on {} using {} ({}){}").format(
                        sql.Identifier(name), sql.Identifier(BRONZE_SCHEMA, relation), sql.SQL(method), sql.Identifier(column),
                        options,
                    )
                )
            if table.name in vacuum:
                cur.execute(sql.SQL("vacuum (analyze) {}").format(sql.Identifier(BRONZE_SCHEMA, relation)))


dost_bronze_checks = bronze_checks(TABLES)


def dost_dbt_vars(context: AssetExecutionContext) -> dict:
    return {**partition_window_vars(context), "dost_lag_hours": lag_hours()}


dost_dbt_assets = build_dbt_assets(
    name="dost_dbt",
    source=SOURCE,
    partitions_def=dost_weekly_partitions,
    vars_fn=dost_dbt_vars,
    backfill_policy=BackfillPolicy.single_run(),
)
