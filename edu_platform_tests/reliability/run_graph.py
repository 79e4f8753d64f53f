"""Materialize a selection in this process (the crash tests run it as a child and SIGKILL it).

Usage: run_graph.py GROUPS [PARTITION | FIRST...LAST]; a range becomes one run over those partitions
(the `dagster/asset_partition_range_start/end` tags, as a single-run backfill does). A failed step is
summarised on stderr as `STEP FAILED <step>: <error>` so a parent can assert on the message.
"""

import sys

from dagster import AssetSelection, DagsterInstance, materialize
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from edu_platform.definitions import defs


def partition_args(partition):
    if not partition:
        return {}
    if "..." in partition:
        first, last = partition.split("...", 1)
        return {"tags": {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}}
    return {"partition_key": partition}


if __name__ == "__main__":
    selection = AssetSelection.groups(*sys.argv[1].split(","))
    partition = sys.argv[2] if len(sys.argv) > 2 else None
    result = materialize(
        [*defs.assets, *(defs.asset_checks or [])], selection=selection, resources=defs.resources,
        instance=DagsterInstance.ephemeral(), raise_on_error=False, **partition_args(partition),
    )
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE" and event.event_specific_data.error:
            print(f"STEP FAILED {event.step_key}: {event.event_specific_data.error.to_string()}", file=sys.stderr)
    sys.exit(0 if result.success else 1)
