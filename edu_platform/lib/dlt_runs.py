"""Running a dlt source from a Dagster asset, with load errors turned into messages a user can act on."""

import re
from typing import Callable, Iterator, Optional

from dagster import AssetExecutionContext
from dagster_dlt import DagsterDltResource
from psycopg2 import sql

from edu_platform.lib.dlt_pipelines import BRONZE_SCHEMA, EduDltTranslator, bronze_pipeline, bronze_table
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
    **run_kwargs,
) -> Iterator:
    """Run `dlt_source` into bronze (`tables`: its declarations); a failure names the file (or table) and line instead of dlt's internals,
    and a failure while reading a database source names that database (`source_label`, no credentials)."""
    translator = EduDltTranslator(tables)
    source_name = translator.source
    try:
        for event in dlt.run(
            context=context,
            dlt_source=dlt_source,
            dlt_pipeline=bronze_pipeline(source_name),
            dagster_dlt_translator=translator,
            **run_kwargs,
        ):
            yield with_row_counts(event, source_name, dlt_source, context)
    except Exception as exc:
        user_error = _user_error(exc, describe_table) or _source_error(exc, source_label)
        if user_error is None:
            raise
        if isinstance(user_error, LandedFileError):
            # the driver's error quotes the whole bad line: the event log gets only the short, sanitised prefix
            raise user_error from None
        raise user_error from exc


def with_row_counts(event, source_name: str, dlt_source, context: AssetExecutionContext):
    """`dagster/row_count` (rows in the bronze table after the load) and, for a partition, `dagster/partition_row_count`
    (the rows this load brought, dlt's own count). A table each load replaces holds exactly the rows loaded, so
    when dlt counted them it is not counted again; a merged table, or an imported file dlt did not count (OULAD's
    files go to COPY untouched), is counted in the warehouse."""
    metadata = dict(event.metadata or {})
    loaded = metadata.get("rows_loaded")
    loaded = getattr(loaded, "value", loaded)
    table = event.asset_key.path[-1]
    resource = dlt_source.resources.get(table)
    disposition = resource.write_disposition if resource is not None else None
    disposition = disposition.get("disposition") if isinstance(disposition, dict) else disposition
    if disposition == "replace" and loaded is not None:
        total = int(loaded)
    else:
        relation = f"{BRONZE_SCHEMA}.{bronze_table(source_name, table)}"
        with warehouse_as("loader").cursor() as cur:
            cur.execute("select to_regclass(%s) is not null", (relation,))
            if cur.fetchone()[0]:  # a header-only file on a first load creates no table
                cur.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(BRONZE_SCHEMA, bronze_table(source_name, table))))
                total = int(cur.fetchone()[0])
            else:
                total = 0
    counts = {"dagster/row_count": total, "rows_loaded": int(loaded) if loaded is not None else (total if disposition == "replace" else 0)}
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
