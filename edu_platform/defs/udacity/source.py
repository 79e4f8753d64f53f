"""The course files as dlt sources: the fact folders of a run's (nanodegree, month) partitions, or the dimension files.

Files are listed with dlt's filesystem source (a local folder or any fsspec URL) and read by Arrow's
streaming CSV reader, every column as text (bronze keeps the landed text; silver types it). Each fact
batch gains the `nanodegree` and `month` of its folder and goes to dlt as an Arrow table; with
`loader_file_format="csv"` dlt writes it straight to a CSV load file that PostgreSQL ingests with COPY
(no row-by-row Python, no INSERT statements).

Replacing partitions: fact tables use dlt's `merge` with the `delete-insert` strategy and the merge key
(nanodegree, month). dlt COPYs the run's partitions (one, or a whole backfill range) into `bronze_staging`,
then in one transaction per table deletes those partitions' rows from the bronze table and inserts the
staged ones, so a crash leaves either the old or the new partitions, never both or neither. A landed file
with a header and no rows replaces the partition with nothing (an explicit DELETE after the load, see
`delete_empty_partitions`). Dimension files merge on their key and `updated_at`: bronze keeps every version, and silver takes the latest `updated_at` over all loads (an older file never
replaces a newer version).
"""

from typing import Iterator, Sequence

import dlt
import pyarrow as pa
from dlt.sources.filesystem import FileItemDict, filesystem
from psycopg2 import sql
from pyarrow import csv as pacsv

from edu_platform.defs.udacity.settings import DIMENSION_FOLDER, SOURCE, month_folder, parse_month, source_url, validate_nanodegree
from edu_platform.defs.udacity.tables import DIM_FILES, DIMENSIONS, FACT_FILES, FACTS, PARTITION_COLUMNS
from edu_platform.lib.dlt_pipelines import BRONZE_SCHEMA, bronze_table
from edu_platform.lib.landed_files import (
    LandedFileError,
    check_inside_root,
    locate_bad_row,
    quoted_prefix,
    read_header,
    text_columns,
)
from edu_platform.lib.tables import BronzeTable
from edu_platform.lib.warehouse import warehouse_as

BLOCK_SIZE = 16 * 1024 * 1024
MERGE_PARTITION = {"disposition": "merge", "strategy": "delete-insert"}


def read_landed_csv(item: FileItemDict, expected: Sequence[str], constants: dict[str, str] | None = None,
                    root: str | None = None, relation: str | None = None) -> Iterator[pa.Table]:
    """Stream a landed CSV as Arrow tables of text columns, with `constants` appended as columns (`relation`: the
    bronze table it loads into, named when a declared column is missing)."""
    constants = constants or {}
    url = item["file_url"]
    check_inside_root(item, root)
    with item.open(mode="rb", compression="disable") as f:
        head = f.read(64 * 1024)
    header = read_header(url, head, expected, relation=relation)
    reserved = [c for c in constants if c in header.columns]
    if reserved:
        raise LandedFileError(f"{url}: line 1: header has column(s) {reserved} that the loader adds from the folder name")
    options = dict(
        read_options=pacsv.ReadOptions(block_size=BLOCK_SIZE),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in header.columns},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    local = url.startswith("file://")
    stream = None if local else item.open(mode="rb", compression="disable")
    try:
        reader = pacsv.open_csv(item.local_file_path if local else stream, **options)
        for batch in reader:
            table = pa.Table.from_batches([batch])
            for name, value in constants.items():
                table = table.append_column(name, pa.array([value] * batch.num_rows, pa.string()))
            yield table
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        with item.open(mode="rb", compression="disable") as f:
            where = locate_bad_row(f, len(header.columns))
        raise LandedFileError(f"{url}: {where} ({quoted_prefix(str(exc).strip(), 120)})") from exc
    finally:
        if stream is not None:
            stream.close()


def month_value(month: str) -> str:
    year, mon = parse_month(month)
    return f"{year:04d}-{mon:02d}-01"


def list_landed(root: str, partitions: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, FileItemDict]]:
    """The four fact files of each (nanodegree, month) folder, listed before anything is read. Any folder that
    is missing or lacks a file fails here, naming its partition, folder and file (every such partition at once)."""
    landed, problems = {}, []
    for nanodegree, month in partitions:
        month = month_value(month)
        folder = month_folder(root, nanodegree, month)
        found = {item["file_name"]: item for item in filesystem(bucket_url=folder, file_glob="*.csv")}
        expected = ", ".join(f"{s}.csv" for s in FACT_FILES)
        missing = [f"{s}.csv" for s in FACT_FILES if f"{s}.csv" not in found]
        label = f"partition {month}|{nanodegree}"
        if not found:
            problems.append(f"{label}: {folder}: nothing landed for nanodegree {nanodegree}, month {month[:7]} (expected {expected})")
        elif missing:
            problems.append(f"{label}: {folder}: missing file {', '.join(missing)} (a month folder holds {expected})")
        else:
            landed[(nanodegree, month)] = {stem: found[f"{stem}.csv"] for stem in FACT_FILES}
    if problems:
        others = len(partitions) - len(problems)
        tail = f"; nothing loaded for the run's other {others} partition(s)" if others else ""
        raise LandedFileError("; ".join(problems) + tail)
    return landed


@dlt.source(name=f"{SOURCE}_facts")
def udacity_facts_source(
    root: str | None = None,
    partitions: Sequence[tuple[str, str]] = (),
    row_counts: dict | None = None,
    landed: dict | None = None,
    first_load: frozenset = frozenset(),
    declared: bool = False,
):
    """The four fact files of every `<root>/<nanodegree>/<YYYY>/<MM>/` folder of `partitions` ((nanodegree,
    month) pairs: one Dagster partition or a backfill range), one resource per file kind, in one load.

    Tables in `first_load` (not yet in bronze) are appended by COPY straight into their bronze table, with
    no staging copy and no merge; a first load killed half-way is made whole by the next run of those
    partitions (never materialized, so the catch-up runs them again), whose merge replaces them.
    `declared=True`: the resources only declare the assets (nothing is read)."""
    root = None if declared else root or source_url()
    partitions = [(validate_nanodegree(n), month_value(m)) for n, m in partitions]
    counts = row_counts if row_counts is not None else {}
    for table in FACTS:
        yield _fact_resource(root, partitions, table, counts, landed, table.name in first_load)


def _fact_resource(root: str | None, partitions: list[tuple[str, str]], table: BronzeTable, counts: dict,
                   landed: dict | None, append: bool):
    stem, columns = table.origin, table.columns

    @dlt.resource(
        name=table.name,
        table_name=table.relation,
        write_disposition="append" if append else MERGE_PARTITION,
        merge_key=list(PARTITION_COLUMNS),
        columns=text_columns(table.bronze_columns),
        file_format="csv",
    )
    def landed_fact():
        files = landed if landed is not None else list_landed(root, partitions)
        for nanodegree, month in partitions:
            key = (stem, nanodegree, month)
            counts[key] = 0
            constants = {"nanodegree": nanodegree, "month": month}
            for batch in read_landed_csv(files[(nanodegree, month)][stem], columns, constants, root=root, relation=table.relation):
                counts[key] += batch.num_rows
                yield batch

    return landed_fact


def delete_empty_partitions(row_counts: dict[tuple[str, str, str], int]) -> list[str]:
    """A landed file without rows replaces its partition with nothing (dlt's merge has nothing to key on).
    `row_counts`: (file stem, nanodegree, month) -> rows read."""
    emptied = []
    wh = warehouse_as("loader")
    with wh.cursor() as cur:
        for (stem, nanodegree, month), n in sorted(row_counts.items()):
            if n:
                continue
            validate_nanodegree(nanodegree)
            table = bronze_table(SOURCE, stem)
            cur.execute("select to_regclass(%s)", (f"{BRONZE_SCHEMA}.{table}",))
            if cur.fetchone()[0] is None:
                continue
            cur.execute(
                sql.SQL("delete from {} where nanodegree = %s and month = %s").format(sql.Identifier(BRONZE_SCHEMA, table)),
                (nanodegree, month_value(month)),
            )
            emptied.append(f"{stem} {month[:7]}|{nanodegree}")
    return emptied


@dlt.source(name=f"{SOURCE}_dims")
def udacity_dims_source(root: str | None = None, declared: bool = False):
    """The dimension files in `<root>/dimensional_tables/`, merged on their keys. `declared=True`: the resources
    only declare the assets (nothing is read)."""
    root = None if declared else root or source_url()
    for table in DIMENSIONS:
        yield _dim_resource(root, table)


def _dim_resource(root: str | None, table: BronzeTable):
    hints = text_columns(table.columns)
    hints["updated_at"] = {**hints["updated_at"], "dedup_sort": "desc"}
    stem = table.origin

    @dlt.resource(
        name=table.name,
        table_name=table.relation,
        write_disposition=MERGE_PARTITION,
        primary_key=list(table.key),  # (key, updated_at): every version kept; silver takes the latest over all loads
        columns=hints,
        file_format="csv",
    )
    def landed_dimension():
        folder = f"{root}/{DIMENSION_FOLDER}"
        found = list(filesystem(bucket_url=folder, file_glob=f"{stem}.csv"))
        if not found:
            raise LandedFileError(f"{folder}: missing file {stem}.csv (dimension files: "
                                  f"{', '.join(f'{s}.csv' for s in DIM_FILES)})")
        yield from read_landed_csv(found[0], table.columns, root=root, relation=table.relation)

    return landed_dimension
