"""Monthly refresh and nanodegree discovery.

- `udacity_dims_job` / `udacity_dims_schedule`: the dimension files, on the 1st at 04:00 UTC.
- `udacity_monthly_job` / `udacity_monthly_schedule`: hourly, one run per
  registered nanodegree for the month just ended, each once its month folder holds all four files; until
  then the tick skips, naming the folders it waits for (files that land at 09:00 run at 10:00, not fail at 05:00).
- `udacity_nanodegree_sensor`: registers nanodegree folders as they land (no code change to add one);
  a folder name that is not a lower-case identifier is refused, and every folder that is not part of a
  valid partition is logged by name, never registered.

The fact assets have a single-run backfill policy: a backfill over months x nanodegrees is one run per range
(Dagster's daemon cuts the selection into ranges; `edu_platform.lib.partitions.range_run_tags` does the same
for a catch-up), one dlt load and one dbt build for all of its partitions.
"""

from dagster import (
    AssetSelection,
    DagsterRunStatus,
    RunRequest,
    RunsFilter,
    ScheduleDefinition,
    SensorResult,
    SkipReason,
    define_asset_job,
    schedule,
    sensor,
)

from edu_platform.defs.udacity.assets import (
    UDACITY_PARTITIONS,
    udacity_dims_bronze,
    udacity_dims_dbt,
    udacity_facts_bronze,
    udacity_facts_dbt,
)
from edu_platform.defs.udacity.landing import last_complete_month, scan_landing, stale_nanodegrees, waiting_for
from edu_platform.defs.udacity.settings import DIMENSION, SOURCE, source_url
from edu_platform.lib.schedules import PIPELINE_TAG, default_schedule_status, default_sensor_status

TAGS = {PIPELINE_TAG: SOURCE}

udacity_monthly_job = define_asset_job(
    name="udacity_monthly_job",
    selection=AssetSelection.assets(udacity_facts_bronze, udacity_facts_dbt),
    partitions_def=UDACITY_PARTITIONS,
    tags=TAGS,
    description="Load months x nanodegrees of course files into bronze (one partition, or a backfill range in one run) and rebuild their silver, gold and marts.",
)

udacity_dims_job = define_asset_job(
    name="udacity_dims_job",
    selection=AssetSelection.assets(udacity_dims_bronze, udacity_dims_dbt),
    tags=TAGS,
    description="Merge the dimension files (users, projects, videos) and rebuild the course dimensions.",
)

def monthly_requests(instance, when, root: str | None = None, log=None) -> list[RunRequest] | SkipReason:
    """The month just ended at `when`, for every registered nanodegree whose month folder is complete and
    that no run of this job has taken yet; else why the tick skips."""
    month = f"{last_complete_month(when)}-01"
    root = root or source_url()
    requests, waiting, done = [], [], []
    for nanodegree in sorted(instance.get_dynamic_partitions(DIMENSION)):
        key = f"{month}|{nanodegree}"
        taken = instance.get_runs(
            RunsFilter(job_name=udacity_monthly_job.name, tags={"dagster/partition": key},
                       statuses=[s for s in DagsterRunStatus if s != DagsterRunStatus.CANCELED]),
            limit=1,
        )
        if taken:
            done.append(nanodegree)
            continue
        reason = waiting_for(root, nanodegree, month)
        if reason:
            waiting.append(reason)
        else:
            requests.append(RunRequest(partition_key=key, run_key=key))
    if requests:
        for reason in waiting:
            (log or print)(f"waiting for landed files: {reason}")
        return requests
    if waiting:
        return SkipReason("waiting for landed files: " + "; ".join(waiting))
    if done:
        return SkipReason(f"month {month[:7]} already requested for {', '.join(done)}")
    return SkipReason("no nanodegree registered yet")


@schedule(
    name="udacity_monthly_schedule",
    job=udacity_monthly_job,
    cron_schedule="0 * * * *",
    execution_timezone="UTC",
    default_status=default_schedule_status(),
    description=(
        "Hourly: the month just ended, one run per registered nanodegree once its month folder"
        " holds all four files; skips naming the folders it still waits for.\n\nPartition set: months x registered"
        " nanodegrees (the `nanodegree` dynamic partitions the sensor adds)."
    ),
)
def udacity_monthly_schedule(context):
    return monthly_requests(context.instance, context.scheduled_execution_time, log=context.log.info)


udacity_dims_schedule = ScheduleDefinition(
    name="udacity_dims_schedule",
    description=(
        "On the 1st at 04:00 UTC (before the monthly facts): merge the users, projects and videos files on their keys"
        " and rebuild the course dimensions."
    ),
    job=udacity_dims_job,
    cron_schedule="0 4 1 * *",
    execution_timezone="UTC",
    default_status=default_schedule_status(),
)


@sensor(
    name="udacity_nanodegree_sensor",
    minimum_interval_seconds=300,
    default_status=default_sensor_status(),
    description=(
        "Registers each nanodegree folder holding a valid month as a `nanodegree` partition; logs every folder under"
        " the landing root that is not part of a valid partition; removes registrations left without a valid month"
        " that never loaded anything."
    ),
)
def udacity_nanodegree_sensor(context):
    landing = scan_landing()
    for problem in landing.problems:
        context.log.warning(f"landing: {problem}")
    known = set(context.instance.get_dynamic_partitions(DIMENSION))
    new = [nd for nd in landing.nanodegrees if nd not in known]
    stale = stale_nanodegrees(context.instance, landing)
    for nd in stale:
        context.log.warning(f"removing nanodegree partition {nd}: {landing.root}/{nd} holds no valid month and nothing was loaded from it")
    if not new and not stale:
        refused = sorted(landing.refused)
        return SkipReason("no new nanodegree folder" + (f" (refused: {refused})" if refused else ""))
    nanodegrees = UDACITY_PARTITIONS.get_partitions_def_for_dimension(DIMENSION)
    requests = [nanodegrees.build_add_request(new)] if new else []
    requests += [nanodegrees.build_delete_request(stale)] if stale else []
    return SensorResult(dynamic_partitions_requests=requests)
