"""The OULAD dlt source: the seven published CSV files, listed with dlt's filesystem source, loaded by COPY."""

import dlt
from dlt.sources.filesystem import filesystem

from edu_platform.defs.oulad.settings import FILES, SOURCE, source_url
from edu_platform.lib.dlt_pipelines import bronze_table
from edu_platform.lib.landed_files import LandedFileError, import_csv, text_columns


@dlt.source(name=SOURCE)
def oulad_source(bucket_url: str | None = None):
    """One resource per published file; `bucket_url` is a folder path or an fsspec URL."""
    url = bucket_url or source_url()
    for stem, (table, columns) in FILES.items():
        yield _file_resource(url, stem, table, columns)


def _file_resource(bucket_url: str, stem: str, table: str, columns: tuple[str, ...]):
    @dlt.resource(
        name=table,
        table_name=bronze_table(SOURCE, table),
        write_disposition="replace",
        columns=text_columns(columns),
        file_format="csv",
    )
    def published_file():
        found = list(filesystem(bucket_url=bucket_url, file_glob=f"{stem}.csv"))
        if not found:
            raise LandedFileError(f"{bucket_url}: missing file {stem}.csv (OULAD publishes {stem}.csv)")
        yield from import_csv(found[0], columns, bronze_table(SOURCE, table), root=bucket_url)

    return published_file
