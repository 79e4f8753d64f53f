"""dlt, one way for every source: the pipeline factory and the Dagster translator."""

import contextlib
import copy
import threading
from typing import Iterable, Optional
from urllib.parse import quote

import dlt
import psycopg2.extensions
import psycopg2.sql
import pyarrow.parquet as pq
from dagster import AssetKey, AssetSpec, TableColumn, TableSchema
from dagster_dlt import DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData
from dlt.destinations.impl.postgres.postgres import PostgresClient, PostgresParquetCopyJob
from dlt.destinations.job_client_impl import SqlLoadJob

from edu_platform.lib.ownership import owners_of
from edu_platform.lib.settings import dlt_pipelines_dir
from edu_platform.lib.tables import BRONZE_SCHEMA, BronzeTable, bronze_table  # noqa: F401 (BRONZE_SCHEMA, bronze_table: re-exported)
from edu_platform.lib.warehouse import warehouse_as

# Settings for dlt's own sessions with the warehouse. A merge deletes the staged keys from bronze with
# `WHERE EXISTS (staging)`; PostgreSQL unique-ifies them in a hash table and then probes the key's index in
# hash order. Sorted instead (hash aggregation off), the probes walk the index in order, which is what keeps a
# week's merge into a long history cheap.
LOAD_SESSION_OPTIONS = "-cenable_hashagg=off"  # no blank: dlt re-encodes a blank as "+"


class _ParquetCopyJob(PostgresParquetCopyJob):
    """A table with no rows in its window (a quiet week, a week not yet begun) gets an empty parquet file; dlt's
    ADBC copy fails on it ("Must pass schema, or at least one RecordBatch"). Nothing to copy is a success: the
    table is still created (on a first load) and its merge still runs."""

    def run(self) -> None:
        if pq.ParquetFile(self._file_path).metadata.num_rows:
            super().run()


# (load id, bronze table) -> (rows inserted, rows deleted) by that load's merge into the table; dlt's load workers
# are threads of the process that runs the asset, which reads (and removes) them once the load is done
_merge_changes: dict[tuple[str, str], tuple[int, int]] = {}
_merge_changes_lock = threading.Lock()


class _MergeJob(SqlLoadJob):
    """dlt's merge of a staged table into bronze, run as dlt runs it (its statements in one transaction). Before
    the commit it asks PostgreSQL how many rows this transaction inserted into and deleted from the table
    (`pg_stat_get_xact_tuples_inserted` / `_deleted`): the rows after the load are then the rows before it plus
    the difference, PostgreSQL's own accounting of the very statements that changed the table, whatever SQL
    dlt merges with, without counting a table of millions of rows again (`merge_changes`)."""

    @contextlib.contextmanager
    def maybe_transaction(self, sql: str):
        with super().maybe_transaction(sql):
            yield
            if self._may_count():
                # the bronze table (dlt runs the merge with its client switched to the staging schema)
                name = psycopg2.sql.Identifier(BRONZE_SCHEMA, self.load_table_name).as_string(self._sql_client.native_connection)
                (changes,) = self._sql_client.execute_sql(
                    "select pg_stat_get_xact_tuples_inserted(%s::regclass), pg_stat_get_xact_tuples_deleted(%s::regclass)",
                    name, name,
                )
                self._changes = (int(changes[0]), int(changes[1]))

    def _may_count(self) -> bool:
        """Inside the merge's transaction (the counts are one transaction's), by a role allowed the statistics
        functions (a server's DBA may deny them, and an error here would roll the merge back). Else the table
        is counted instead."""
        if self._sql_client.native_connection.get_transaction_status() != psycopg2.extensions.TRANSACTION_STATUS_INTRANS:
            return False
        (allowed,) = self._sql_client.execute_sql(
            "select has_function_privilege('pg_catalog.pg_stat_get_xact_tuples_inserted(oid)', 'execute')"
            " and has_function_privilege('pg_catalog.pg_stat_get_xact_tuples_deleted(oid)', 'execute')"
        )
        return bool(allowed[0])

    def run(self) -> None:
        self._changes = None
        super().run()  # committed on return
        if self._changes is not None:
            with _merge_changes_lock:
                _merge_changes[(self._load_id, self.load_table_name)] = self._changes


def merge_changes(load_ids: Iterable[str], relation: str) -> Optional[tuple[int, int]]:
    """(rows inserted, rows deleted) by the merges of `relation` in the loads `load_ids`, when every one of those
    loads merged it and said so; else None (count the table). Removes what it returns."""
    with _merge_changes_lock:
        found = [_merge_changes.pop((load_id, relation), None) for load_id in load_ids]
    if not found or None in found:
        return None
    return sum(f[0] for f in found), sum(f[1] for f in found)


class _PostgresClient(PostgresClient):
    def create_load_job(self, table, file_path: str, load_id: str, restore: bool = False):
        job = super().create_load_job(table, file_path, load_id, restore)
        if type(job) is PostgresParquetCopyJob:
            return _ParquetCopyJob(file_path)
        if type(job) is SqlLoadJob and table.get("write_disposition") == "merge":
            return _MergeJob(file_path)
        return job


class WarehousePostgres(dlt.destinations.postgres):
    """dlt's postgres destination, with
    - every SQL job in an explicit transaction block: dlt's postgres capabilities leave `supports_transactions`
      unset, so a merge (DELETE of the staged keys, then INSERT) went as one query string, atomic only as
      PostgreSQL's implicit transaction of a multi-statement query, which ends with that query; in a block of
      its own the merge's job can ask what it changed before the commit (see _MergeJob);
    - empty parquet files loaded as nothing (see _ParquetCopyJob);
    - its capabilities worked out once per run instead of at every one of dlt's calls for them (each resolves the
      destination's configuration from scratch, a fixed cost per run whatever its size)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._capabilities: dict = {}

    @property
    def client_class(self):
        return _PostgresClient

    def capabilities(self, config=None, naming=None):
        if config is not None:  # a resolved configuration: dlt's own path
            return _transactional(super().capabilities(config, naming))
        key = id(naming)  # None, or the schema's naming convention, which lives as long as this run
        if key not in self._capabilities:
            self._capabilities[key] = (naming, _transactional(super().capabilities(None, naming)))
        return copy.copy(self._capabilities[key][1])  # callers adjust the file formats on theirs


def _transactional(caps):
    caps.supports_transactions = True  # PostgreSQL's DML is transactional (see WarehousePostgres)
    return caps


def bronze_pipeline(source: str, suffix: str = "") -> dlt.Pipeline:
    """A pipeline into the warehouse's bronze schema, logged in as the loader role (bronze and its staging
    schema only). `suffix` separates runs that must not share state."""
    return dlt.pipeline(
        pipeline_name=f"edu_{source}{suffix}",
        destination=WarehousePostgres(
            credentials=f"{warehouse_as('loader').dlt_credentials()}?options={quote(LOAD_SESSION_OPTIONS)}&application_name=edu_dlt",
            destination_name="postgres",
        ),
        dataset_name=BRONZE_SCHEMA,
        pipelines_dir=str(dlt_pipelines_dir()),
    )


def declaration_pipeline(source: str) -> dlt.Pipeline:
    """The pipeline handed to @dlt_assets at import time; it only names things, it never connects. Its working
    folder is apart from the loads' own: every process that imports the definitions (a run of another source,
    the code server) would otherwise touch the folder a running load drops and re-creates."""
    return dlt.pipeline(
        pipeline_name=f"edu_{source}",
        destination="postgres",
        dataset_name=BRONZE_SCHEMA,
        pipelines_dir=str(dlt_pipelines_dir() / "declarations"),
    )


def bronze_dlt_assets(tables: tuple[BronzeTable, ...], dlt_source, name: str, **kwargs):
    """`@dlt_assets` over a source's declared bronze tables (`dlt_source` built with `declared=True`): keys, groups,
    descriptions and columns from the declarations, and one pool per source (`dlt_<source>`): dagster-dlt drops and
    re-creates a pipeline's working folder at each run, so two loads of one source must not overlap."""
    translator = EduDltTranslator(tables)
    return dlt_assets(
        dlt_source=dlt_source,
        dlt_pipeline=declaration_pipeline(translator.source),
        name=name,
        dagster_dlt_translator=translator,
        pool=f"dlt_{translator.source}",
        **kwargs,
    )


def tables_not_in_bronze(tables: tuple[BronzeTable, ...]) -> frozenset:
    """The names of `tables` with nothing in bronze yet: their first load needs no merge (and no staging copy)."""
    with warehouse_as("loader").cursor() as cur:
        cur.execute(
            "select name from unnest(%s::text[], %s::text[]) as t(name, relation) where to_regclass(%s || '.' || relation) is null",
            ([t.name for t in tables], [t.relation for t in tables], BRONZE_SCHEMA),
        )
        return frozenset(r[0] for r in cur.fetchall())


class EduDltTranslator(DagsterDltTranslator):
    """Keys `bronze/<source>/<table>`, no invented upstream assets, grouped `<source>_bronze`; the description,
    key, cadence and column schema come from the table's declaration (`defs/<source>/tables.py`), the owner from
    `lib/ownership.py`."""

    def __init__(self, tables: tuple[BronzeTable, ...]):
        sources = {t.source for t in tables}
        if len(sources) != 1:
            raise ValueError(f"one translator per source: the tables given belong to {sorted(sources) or 'none'}")
        self.source = sources.pop()
        self.tables = {t.name: t for t in tables}

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        default = super().get_asset_spec(data)
        name = data.resource.name
        table = self.tables.get(name)
        if table is None:
            raise KeyError(f"dlt resource {self.source}.{name} has no declaration: add it to TABLES in"
                           f" edu_platform/defs/{self.source}/tables.py")
        return default.replace_attributes(
            key=AssetKey(table.asset_path),
            deps=[],
            group_name=f"{self.source}_bronze",
            kinds={"dlt", "postgres"},
            description=describe_bronze_table(table, data.resource.write_disposition),
            owners=owners_of(self.source),
            tags={"layer": "bronze", "source": self.source},
        ).merge_attributes(metadata=_declared_columns(table))


def disposition_of(write_disposition) -> Optional[str]:
    """"replace", "merge" or "append" from a dlt resource's write disposition (a name, or a dict with a strategy)."""
    return write_disposition.get("disposition") if isinstance(write_disposition, dict) else write_disposition


def describe_bronze_table(table: BronzeTable, write_disposition) -> str:
    """What a row is (the declaration's description), then its key, cadence and how a load writes it."""
    key = f"({', '.join(table.key)})" if table.key else "none (rows may repeat)"
    disposition = disposition_of(write_disposition)
    how = {"replace": "each load replaces the table", "merge": "each load merges on the key (a re-run replaces, never duplicates)",
           "append": "each load appends"}.get(disposition, str(disposition))
    return (
        f"{table.description}\n\nTable `{BRONZE_SCHEMA}.{table.relation}` · key {key} · loaded"
        f" {table.cadence} by dlt, {how} · values as the source published them (silver types them)."
    )


def _declared_columns(table: BronzeTable) -> dict:
    """The declared bronze columns as `dagster/column_schema` (type: the declared family, else text, as bronze keeps
    landed values), described from the column glossary (dbt doc blocks, `dbt/models/docs/columns.md`); each load's
    dlt schema adds the types it wrote (and dlt's own `_dlt_*` columns)."""
    from edu_platform.lib.dbt import column_glossary

    glossary = column_glossary()
    renamed_from = {new: old for old, new in table.renamed.items()}
    columns = [
        TableColumn(name=name, type=table.types.get(renamed_from.get(name, name)) or "text", description=glossary.get(name))
        for name in table.bronze_columns
    ]
    return {"dagster/column_schema": TableSchema(columns=columns)}
