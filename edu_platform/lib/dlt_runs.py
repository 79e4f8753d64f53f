"""Running a dlt source from a Dagster asset, with load errors turned into messages a user can act on."""

import re
from concurrent.futures import Future
from threading import Thread
from typing import Callable, Iterator, Optional

from dagster import AssetExecutionContext, AssetKey
from dagster_dlt import DagsterDltResource
from psycopg2 import sql

from edu_platform.lib.dlt_pipelines import BRONZE_SCHEMA, EduDltTranslator, bronze_pipeline, disposition_of, merge_changes
from edu_platform.lib.landed_files import LandedFileError, quoted_prefix
from edu_platform.lib.redaction import redact
from edu_platform.lib.tables import BronzeTable
from edu_platform.lib.warehouse import warehouse_as

# psycopg2's COPY error: "<message>\nCONTEXT:  COPY <table>, line <n>[, column <c>]: "<text>""
_COPY_ERROR = re.compile(
    r"(?P<error>[A-Za-z]\w+): (?P<message>[^\n]+)\nCONTEXT:\s+COPY (?P<table>\w+), line (?P<line>\d+)"
    r"(?:, column (?P<column>\w+))?(?::\s*\"(?P<text>.*)\")?"
)


def run_bronze_load(
    context: AssetExecutionContext,
    dlt: DagsterDltResource,
    tables: tuple[BronzeTable, ...],
    dlt_source,
    describe_table: Optional[Callable[[str], str]] = None,
    source_label: Optional[str] = None,
    after_load: Optional[Callable[[], None]] = None,
    **run_kwargs,
) -> Iterator:
    """Run `dlt_source` into bronze (`tables`: its declarations); a failure names the file (or table) and line instead of dlt's internals,
    and a failure while reading a database source names that database (`source_label`, no credentials). `after_load`
    runs once the load is done and before the rows are counted (a clean-up that changes bronze, counted with it:
    every table is then counted after the load).
    Every materialization carries its row counts and what the load changed (`with_row_counts`)."""
    translator = EduDltTranslator(tables)
    source_name = translator.source
    pipeline = bronze_pipeline(source_name)
    loading = [t for t in tables if t.name in dlt_source.resources and AssetKey(t.asset_path) in context.selected_asset_keys]
    counting_before = row_counts_before_load(loading)
    try:
        # dagster-dlt yields the materializations once the whole load is done: held here, they are counted after it
        events = list(dlt.run(
            context=context,
            dlt_source=dlt_source,
            dlt_pipeline=pipeline,
            dagster_dlt_translator=translator,
            **run_kwargs,
        ))
        if after_load is not None:
            after_load()
    except Exception as exc:
        _settle(counting_before)
        user_error = _user_error(exc, describe_table) or _source_error(exc, source_label)
        if user_error is None:
            raise
        if isinstance(user_error, LandedFileError):
            # the driver's error quotes the whole bad line: the event log gets only the short, sanitised prefix
            raise user_error from None
        raise user_error from exc
    before = counting_before.result()
    trace = pipeline.last_trace
    normalized = dict(trace.last_normalize_info.row_counts) if trace and trace.last_normalize_info else {}
    load_ids = trace.last_load_info.loads_ids if trace and trace.last_load_info else []
    dispositions = {t.name: disposition_of(dlt_source.resources[t.name].write_disposition) for t in loading}
    # a clean-up after the load changes bronze outside the merges' transactions: every table is counted then
    after = _rows_after_load(loading, before, load_ids, dispositions, from_merges=after_load is None)
    by_name = {t.name: t for t in loading}
    for event in events:
        table = by_name.get(event.asset_key.path[-1])
        if table is None:
            yield event
            continue
        yield with_row_counts(event, dispositions[table.name], before[table.name], after[table.name], normalized.get(table.relation), context)


def _rows_after_load(
    tables, before: dict[str, int], load_ids, dispositions: dict[str, Optional[str]], from_merges: bool = True
) -> dict[str, int]:
    """Rows in each table's bronze relation after the load: for a table the loads `load_ids` merged, its rows
    before plus what PostgreSQL counted the merge's own transaction insert and delete (`merge_changes`); any
    other table (a first load, a replace, a merge that did not report), or every table when not `from_merges`,
    is counted."""
    after, counted = {}, []
    for table in tables:
        changes = merge_changes(load_ids, table.relation) if dispositions.get(table.name) == "merge" else None
        if changes is None or not from_merges:
            counted.append(table)
        else:
            after[table.name] = before[table.name] + changes[0] - changes[1]
    if counted:
        after.update(bronze_row_counts(counted))
    return after


def bronze_row_counts(tables) -> dict[str, int]:
    """Rows in each table's bronze relation (0 for a table not created yet)."""
    with warehouse_as("loader").cursor() as cur:
        return _count_rows(cur, tables, _existing(cur, tables))


def _existing(cur, tables) -> list:
    """The tables whose bronze relation exists (a header-only file on a first load creates none)."""
    found = []
    for table in tables:
        cur.execute("select to_regclass(%s) is not null", (f"{BRONZE_SCHEMA}.{table.relation}",))
        if cur.fetchone()[0]:
            found.append(table)
    return found


def _count_rows(cur, tables, existing) -> dict[str, int]:
    counts = {t.name: 0 for t in tables}  # a table not created yet has no rows
    for table in existing:
        cur.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(BRONZE_SCHEMA, table.relation)))
        counts[table.name] = int(cur.fetchone()[0])
    return counts


def row_counts_before_load(tables) -> "Future[dict[str, int]]":
    """`bronze_row_counts` as of now, counted while the load runs. The tables are locked (ACCESS SHARE) and a
    REPEATABLE READ snapshot is taken before this returns; the counts then run in a thread of their own in that
    snapshot, so rows the load writes meanwhile are not seen, and a TRUNCATE or DROP by the load waits for the
    count instead of emptying its snapshot. The count of a large table then costs the load next to nothing."""
    future: Future = Future()
    conn = warehouse_as("loader").connect(autocommit=False)
    try:
        with conn.cursor() as cur:
            cur.execute("set transaction isolation level repeatable read")
            # one process: the count runs beside the extract and load, and parallel workers would take their CPU
            cur.execute("set local max_parallel_workers_per_gather = 0")
            existing = _existing(cur, tables)
            if existing:  # before the snapshot: the snapshot then sees every table as it was when locked
                cur.execute(sql.SQL("lock table {} in access share mode").format(
                    sql.SQL(", ").join(sql.Identifier(BRONZE_SCHEMA, t.relation) for t in existing)))
            cur.execute("select 1")  # the transaction's snapshot is taken by its first query
    except BaseException:
        conn.close()
        raise

    def count() -> None:
        try:
            with conn.cursor() as cur:
                future.set_result(_count_rows(cur, tables, existing))
        except BaseException as exc:  # raised where the result is read
            future.set_exception(exc)
        finally:
            conn.close()

    Thread(target=count, name="bronze-count-before-load", daemon=True).start()
    return future


def _settle(future: Future) -> None:
    """Wait for a count that is no longer needed (the load failed): its connection closes with it."""
    try:
        future.result()
    except Exception:
        pass


def load_changes(disposition: Optional[str], before: int, after: int, loaded: Optional[int]) -> dict[str, int]:
    """What a load changed in a table, from its rows before and after and the rows dlt loaded into it.

    A replaced table holds exactly the rows loaded (`loaded` := `after`; OULAD's imported files are not counted by
    dlt). The rows the load removed are `before + loaded - after`: none for an append; every old row for a replace;
    for a merge, the old versions of the keys (or partitions) it rewrote. A loaded row that took the place of a
    removed one is *replaced*, the others are *inserted* (net new); removed rows nothing took the place of are
    *deleted* (a partition replaced by fewer rows, a table reloaded smaller). So a re-run of the same week is 0
    inserted, all replaced; a first load is all inserted. Rows dlt's merge drops as duplicates within one load
    count as replaced."""
    if disposition == "replace" or loaded is None:
        loaded = after if disposition == "replace" else max(after - before, 0)
    removed = max(before + loaded - after, 0)
    replaced = min(removed, loaded)
    return {"rows_loaded": loaded, "rows_inserted": loaded - replaced, "rows_replaced": replaced, "rows_deleted": removed - replaced}


def with_row_counts(event, disposition: Optional[str], before: int, after: int, loaded: Optional[int], context: AssetExecutionContext):
    """`dagster/row_count` (rows in the bronze table after the load), what the load changed (`load_changes`:
    `rows_loaded`, `rows_inserted`, `rows_replaced`, `rows_deleted`) and, for a partition, `dagster/partition_row_count`
    (the rows this load brought, dlt's own count)."""
    metadata = dict(event.metadata or {})
    counts = {"dagster/row_count": after, **load_changes(disposition, before, after, loaded)}
    if context.has_partition_key or context.has_partition_key_range:
        counts["dagster/partition_row_count"] = counts["rows_loaded"]
    return event._replace(metadata={**metadata, **counts})


class SourceReadError(RuntimeError):
    """Reading a source failed (down, refused, a table missing); the message names the source."""


def _source_error(exc: BaseException, source_label: Optional[str]) -> Optional[SourceReadError]:
    if source_label is None or getattr(exc, "step", None) != "extract":
        return None
    root = exc
    while root.__cause__ is not None or root.__context__ is not None:
        root = root.__cause__ or root.__context__
    detail = redact(" ".join(str(root).split()))[:500] or type(root).__name__
    if type(root).__name__ == "NoSuchTableError":
        detail = f"table {detail} does not exist"
    return SourceReadError(f"{source_label}: extract failed: {type(root).__name__}: {detail}")


def _landed_file_error(exc: BaseException) -> Optional[LandedFileError]:
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, LandedFileError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _user_error(exc: BaseException, describe_table) -> Optional[Exception]:
    if (landed := _landed_file_error(exc)) is not None:
        return LandedFileError(str(landed))
    match = _COPY_ERROR.search(str(exc))
    if not match:
        return None
    table = match["table"]
    origin = describe_table(table) if describe_table else f"bronze table {table}"
    # dlt consumes the header before COPY, so COPY's line n is the file's line n + 1
    where = f"line {int(match['line']) + 1}" + (f", column {match['column']}" if match["column"] else "")
    text = f" (row starts {quoted_prefix(match['text'])})" if match["text"] else ""
    return LandedFileError(f"{origin}: {where}: {match['message'].strip()}{text}")
