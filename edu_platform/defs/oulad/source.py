"""The OULAD dlt source: the seven published CSV files, listed with dlt's filesystem source, loaded by COPY."""

import dlt
from dlt.sources.filesystem import filesystem

from edu_platform.defs.oulad.settings import SOURCE, source_url
from edu_platform.defs.oulad.tables import TABLES
from edu_platform.lib.landed_files import LandedFileError, import_csv, text_columns
from edu_platform.lib.tables import BronzeTable


@dlt.source(name=SOURCE)
def oulad_source(bucket_url: str | None = None, declared: bool = False):
    """One resource per published file; `bucket_url` is a folder path or an fsspec URL. `declared=True`: the
    resources only declare the assets (nothing is read)."""
    url = None if declared else bucket_url or source_url()
    for table in TABLES:
        yield _file_resource(url, table)


def _file_resource(bucket_url: str | None, table: BronzeTable):
    @dlt.resource(
        name=table.name,
        table_name=table.relation,
        write_disposition="replace",
        columns=text_columns(table.columns),
        file_format="csv",
    )
    def published_file():
        file = f"{table.origin}.csv"
        found = list(filesystem(bucket_url=bucket_url, file_glob=file))
        if not found:
            raise LandedFileError(f"{bucket_url}: missing file {file} (OULAD publishes {file})")
        yield from import_csv(found[0], table.columns, table.relation, root=bucket_url)

    return published_file
