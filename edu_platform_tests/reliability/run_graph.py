"""Materialize a selection in this process (the crash tests run it as a child and SIGKILL it)."""

import sys

from dagster import AssetSelection, DagsterInstance, materialize

from edu_platform.definitions import defs

if __name__ == "__main__":
    selection = AssetSelection.groups(*sys.argv[1].split(","))
    partition = sys.argv[2] if len(sys.argv) > 2 else None
    result = materialize(
        [*defs.assets, *(defs.asset_checks or [])], selection=selection, resources=defs.resources,
        instance=DagsterInstance.ephemeral(), partition_key=partition, raise_on_error=False,
    )
    sys.exit(0 if result.success else 1)
