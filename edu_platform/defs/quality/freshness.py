"""Freshness of every source's bronze tables, built centrally from the asset graph.

Every asset whose key starts with `bronze/<source>/`, in any folder's `Definitions`, gets a check named
`freshness_check` (severity WARN, not blocking). A source joins by existing: the cadence is the `CADENCE` its
`settings.py` declares (a source folder without one fails at load, naming the file).

- Partitioned by time (Dost's weeks): Dagster's `build_time_partition_freshness_checks`. Once a partition has
  ended and a day of grace has passed (the deadline cron), that partition must be materialized; a week that never
  arrived fails the check, which names it, even when older weeks were re-run since.
- Partitioned by month x a dynamic dimension (course files: month x nanodegree), which Dagster's factory does not
  take: the same rule over every registered value of the dimension; the check names each missing partition.
- Unpartitioned (OULAD, a published snapshot; the course dimension files): `build_last_update_freshness_checks`,
  the last load no older than the cadence plus a day.

Freshness checks rather than the newer `FreshnessPolicy`: the policy reports state changes rather than asset-check
evaluations, which is what the UI's check tab and our alert sensor (`defs/alerts`) act on.
"""

import warnings
from datetime import timedelta

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetChecksDefinition,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    MetadataValue,
    MultiPartitionsDefinition,
    TimeWindowPartitionsDefinition,
    build_last_update_freshness_checks,
    build_sensor_for_freshness_checks,
    build_time_partition_freshness_checks,
    multi_asset_check,
    partition_loading_context,
)

from edu_platform.lib.dlt_pipelines import BRONZE_SCHEMA
from edu_platform.lib.partitions import latest_cron_tick, next_cron_tick, utc_now
from edu_platform.lib.schedules import default_sensor_status
from edu_platform.sources import SOURCES, source_module, source_setting

CADENCE_WINDOW = {"daily": timedelta(days=1), "weekly": timedelta(days=7), "monthly": timedelta(days=31)}
GRACE = timedelta(days=1)
# when a partition is due: its end plus the day of grace (weeks end on Monday 00:00 UTC, months on the 1st)
DEADLINE_CRON = {"daily": "0 0 * * *", "weekly": "0 0 * * 2", "monthly": "0 0 2 * *"}
TIMEZONE = "UTC"
FRESHNESS_SEVERITY = AssetCheckSeverity.WARN
FRESHNESS_SENSOR_INTERVAL_SECONDS = 15 * 60


def _keys_of(definition) -> list[AssetKey]:
    if isinstance(definition, AssetsDefinition):
        return list(definition.keys)
    if isinstance(definition, AssetSpec):
        return [definition.key]
    key = getattr(definition, "key", None)
    return [key] if isinstance(key, AssetKey) else []


def _partitions_of(definition, key: AssetKey):
    if isinstance(definition, AssetsDefinition):
        return definition.specs_by_key[key].partitions_def or definition.partitions_def
    return getattr(definition, "partitions_def", None)


def _source_assets():
    """(source, asset definition) for every asset of every source folder's `Definitions` (not the merged ones:
    those import this module)."""
    for source in SOURCES:
        module = source_module(source, "definitions")
        for definition in (getattr(module.defs, "assets", None) or []) if module is not None else []:
            yield source, definition


def bronze_partitions() -> dict[AssetKey, object]:
    """The partitions definition (or None) of every bronze asset."""
    found = {}
    for _, definition in _source_assets():
        for key in _keys_of(definition):
            if len(key.path) >= 3 and key.path[0] == BRONZE_SCHEMA:
                found[key] = _partitions_of(definition, key)
    return found


def bronze_keys_by_source() -> dict[str, list[AssetKey]]:
    """`bronze/<source>/<table>` keys defined by each source folder under `edu_platform/defs`."""
    found: dict[str, set[AssetKey]] = {}
    for _, definition in _source_assets():
        for key in _keys_of(definition):
            if len(key.path) >= 3 and key.path[0] == BRONZE_SCHEMA:
                found.setdefault(key.path[1], set()).add(key)
    return {source: sorted(keys, key=lambda k: k.to_user_string()) for source, keys in sorted(found.items())}


def cadence_of(source: str) -> str:
    return source_setting(source, "CADENCE")


def freshness_window(source: str) -> timedelta:
    return CADENCE_WINDOW[cadence_of(source)] + GRACE


def deadline_cron(source: str) -> str:
    return DEADLINE_CRON[cadence_of(source)]


def _describe(source: str, key: AssetKey, partitioned: bool) -> str:
    cadence = cadence_of(source)
    if partitioned:
        rule = (f"Each {cadence} partition of {key.to_user_string()} has landed by the day after it ends (deadline cron"
                f" `{deadline_cron(source)}` UTC). A failure names the partition that has not arrived: its scheduled"
                " run did not happen or failed, or the source did not deliver; re-running older partitions does not"
                " hide it.")
    else:
        rule = (f"{key.to_user_string()} was loaded within the last {freshness_window(source).days} days (its {cadence}"
                " cadence plus a day). A failure means the source stopped arriving or its schedule is off.")
    return (f"{rule}\n\nSeverity WARN (not blocking): stale data is still correct data, so nothing downstream stops;"
            " the alert sensor reports the failure.")


def _with_descriptions(checks: AssetChecksDefinition, describe) -> AssetChecksDefinition:
    """Dagster's factories describe every check as 'Evaluates freshness for targeted asset.': say what it guards."""
    specs = {name: spec._replace(description=describe(spec.asset_key)) for name, spec in checks.check_specs_by_output_name.items()}
    return AssetChecksDefinition.create(
        keys_by_input_name=checks.keys_by_input_name, node_def=checks.node_def, check_specs_by_output_name=specs,
        can_subset=checks.can_subset,
    )


def build_freshness_checks() -> list[AssetChecksDefinition]:
    checks: list[AssetChecksDefinition] = []
    partitions = bronze_partitions()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "superseded by FreshnessPolicy": see the module docstring
        for source, keys in bronze_keys_by_source().items():
            by_kind: dict[str, list[AssetKey]] = {}
            for key in keys:
                pdef = partitions.get(key)
                kind = ("time" if isinstance(pdef, TimeWindowPartitionsDefinition)
                        else "multi" if isinstance(pdef, MultiPartitionsDefinition) else "none")
                by_kind.setdefault(kind, []).append(key)
            if by_kind.get("none"):
                built = build_last_update_freshness_checks(
                    assets=by_kind["none"], lower_bound_delta=freshness_window(source), severity=FRESHNESS_SEVERITY
                )
                checks += [_with_descriptions(c, lambda k, s=source: _describe(s, k, False)) for c in built]
            if by_kind.get("time"):
                built = build_time_partition_freshness_checks(
                    assets=by_kind["time"], deadline_cron=deadline_cron(source), timezone=TIMEZONE, severity=FRESHNESS_SEVERITY
                )
                checks += [_with_descriptions(c, lambda k, s=source: _describe(s, k, True)) for c in built]
            if by_kind.get("multi"):
                checks.append(_multi_partition_freshness(source, by_kind["multi"], partitions))
    return checks


def expected_partitions(partitions_def, deadline_cron_: str, instance, now=None) -> list[str]:
    """The partitions due at the latest deadline before `now`: the last time window completed by then, for every
    value of the other dimension (a multi-partitions definition) or alone (a time-window one)."""
    now = now or utc_now()
    deadline = latest_cron_tick(deadline_cron_, now, TIMEZONE)
    time_def = partitions_def.time_window_partitions_def if isinstance(partitions_def, MultiPartitionsDefinition) else partitions_def
    with partition_loading_context(deadline, instance):
        window = time_def.get_last_partition_window()
    if window is None:
        return []
    time_key = time_def.get_partition_key_range_for_time_window(window).start
    if not isinstance(partitions_def, MultiPartitionsDefinition):
        return [time_key]
    time_dim = partitions_def.time_window_dimension.name
    return [
        str(key) for key in partitions_def.get_partition_keys(dynamic_partitions_store=instance)
        if key.keys_by_dimension[time_dim] == time_key
    ]


def _multi_partition_freshness(source: str, keys: list[AssetKey], partitions: dict) -> AssetChecksDefinition:
    cron = deadline_cron(source)
    params = MetadataValue.json({"deadline_cron": cron, "timezone": TIMEZONE})

    @multi_asset_check(
        specs=[
            AssetCheckSpec("freshness_check", asset=key, blocking=False, description=_describe(source, key, True),
                           metadata={"dagster/freshness_params": params})
            for key in keys
        ],
        can_subset=True,
        name=f"{source}_partition_freshness",
    )
    def _check(context: AssetCheckExecutionContext):
        now = utc_now()
        for check_key in context.selected_asset_check_keys:
            key = check_key.asset_key
            expected = expected_partitions(partitions[key], cron, context.instance, now)
            materialized = context.instance.get_materialized_partitions(key)
            missing = [p for p in expected if p not in materialized]
            if not expected:
                text = "no partition is due yet (none has ended a day ago, or no dimension value is registered)"
            elif missing:
                text = f"{len(missing)} partition(s) overdue: {', '.join(missing)} had not landed by the deadline"
            else:
                text = f"fresh: every partition due ({', '.join(expected)}) has landed"
            yield AssetCheckResult(
                asset_key=key, check_name="freshness_check", passed=not missing, severity=FRESHNESS_SEVERITY,
                description=text,
                metadata={
                    "dagster/freshness_params": params,
                    "missing_partitions": MetadataValue.json(missing),
                    "failing_rows": len(missing),
                    "sample_keys": MetadataValue.json(missing[:5]),
                    **({} if missing else {"dagster/fresh_until_timestamp": MetadataValue.timestamp(next_cron_tick(cron, now, TIMEZONE))}),
                },
            )

    return _check


def build_freshness_sensor(checks):
    """Re-evaluates a passing check once it could have gone stale (a load also runs the check)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_sensor_for_freshness_checks(
            freshness_checks=checks,
            minimum_interval_seconds=FRESHNESS_SENSOR_INTERVAL_SECONDS,
            default_status=default_sensor_status(),
            name="freshness_checks_sensor",
        )

