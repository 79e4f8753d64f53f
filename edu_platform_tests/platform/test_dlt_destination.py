"""The platform's dlt destination: dlt's postgres destination with its capabilities worked out once per run."""

import dlt
import pytest

from edu_platform.lib.dlt_pipelines import WarehousePostgres

pytestmark = pytest.mark.fast  # no PostgreSQL: `make test-fast`

CREDENTIALS = "postgresql://loader:secret@localhost:5432/warehouse"


def plain(caps) -> dict:
    """The capabilities' values, without the functions (dlt builds a new partial for each)."""
    return {k: v for k, v in dict(caps).items() if not callable(v)}


def test_capabilities_are_dlts_own_and_each_caller_gets_a_copy():
    ours = WarehousePostgres(credentials=CREDENTIALS, destination_name="postgres")
    theirs = dlt.destinations.postgres(credentials=CREDENTIALS, destination_name="postgres")
    first = ours.capabilities()
    # dlt's own, but for SQL jobs in a transaction block of their own (see WarehousePostgres)
    assert theirs.capabilities().supports_transactions is not True and first.supports_transactions is True
    assert plain(first) == {**plain(theirs.capabilities()), "supports_transactions": True}
    # dlt adjusts the file formats on the capabilities it is handed: that must not leak into the next caller
    first.preferred_loader_file_format, first.supported_loader_file_formats = "csv", ["csv"]
    second = ours.capabilities()
    assert second is not first
    assert second.preferred_loader_file_format == theirs.capabilities().preferred_loader_file_format
    assert "parquet" in second.supported_loader_file_formats
