"""Freshness of every source's bronze tables, built centrally from the asset graph.

Every asset whose key starts with `bronze/<source>/`, in any folder's `Definitions`, gets a freshness
check (`freshness_check`, severity WARN, not blocking) whose window is the source's cadence plus a day
of grace. A source joins by existing: the cadence comes from `CADENCE` in its `settings.py` if it
declares one, else from `SOURCE_CADENCE` below; a bronze source with neither fails loudly at load.

Freshness checks (`build_last_update_freshness_checks`) rather than the newer `FreshnessPolicy`: the
policy would have to be attached to each source's asset specs, needs `freshness: enabled` in
dagster.yaml, and reports state changes rather than asset-check evaluations, which is what the
UI's check tab and our alert sensor (`defs/alerts`) act on.
"""

import pkgutil
import warnings
from datetime import timedelta

from dagster import (
    AssetChecksDefinition,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    AssetCheckSeverity,
    build_last_update_freshness_checks,
    build_sensor_for_freshness_checks,
)

import edu_platform.defs as defs_package
from edu_platform.lib.dlt_pipelines import BRONZE_SCHEMA
from edu_platform.lib.schedules import default_sensor_status
from edu_platform.sources import source_module

# how often each source is expected to land new data
SOURCE_CADENCE = {"oulad": "monthly", "dost": "weekly", "udacity": "monthly"}
CADENCE_WINDOW = {"daily": timedelta(days=1), "weekly": timedelta(days=7), "monthly": timedelta(days=31)}
GRACE = timedelta(days=1)
FRESHNESS_SEVERITY = AssetCheckSeverity.WARN
FRESHNESS_SENSOR_INTERVAL_SECONDS = 15 * 60
CROSS_CUTTING_FOLDERS = {"quality", "alerts"}  # never import ourselves (circular) nor the alerting defs


def _keys_of(definition) -> list[AssetKey]:
    if isinstance(definition, AssetsDefinition):
        return list(definition.keys)
    if isinstance(definition, AssetSpec):
        return [definition.key]
    key = getattr(definition, "key", None)
    return [key] if isinstance(key, AssetKey) else []


def bronze_keys_by_source() -> dict[str, list[AssetKey]]:
    """`bronze/<source>/<table>` keys defined by each folder under `edu_platform/defs` (the per-folder
    Definitions, not the merged ones: those import this module)."""
    found: dict[str, set[AssetKey]] = {}
    for folder in sorted(pkgutil.iter_modules(defs_package.__path__), key=lambda m: m.name):
        if not folder.ispkg or folder.name in CROSS_CUTTING_FOLDERS:
            continue
        module = source_module(folder.name, "definitions")
        if module is None:
            continue
        for definition in getattr(module.defs, "assets", None) or []:
            for key in _keys_of(definition):
                if len(key.path) >= 3 and key.path[0] == BRONZE_SCHEMA:
                    found.setdefault(key.path[1], set()).add(key)
    return {source: sorted(keys, key=lambda k: k.to_user_string()) for source, keys in sorted(found.items())}


def cadence_of(source: str) -> str:
    settings = source_module(source, "settings")
    cadence = getattr(settings, "CADENCE", None) if settings is not None else None
    cadence = cadence or SOURCE_CADENCE.get(source)
    if cadence not in CADENCE_WINDOW:
        raise ValueError(
            f"bronze source {source!r} has no known cadence ({cadence!r}): set CADENCE = 'daily'|'weekly'|'monthly'"
            f" in edu_platform/defs/{source}/settings.py or add it to SOURCE_CADENCE in {__name__}"
        )
    return cadence


def freshness_window(source: str) -> timedelta:
    return CADENCE_WINDOW[cadence_of(source)] + GRACE


def build_freshness_checks() -> list[AssetChecksDefinition]:
    checks: list[AssetChecksDefinition] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "superseded by FreshnessPolicy": see the module docstring
        for source, keys in bronze_keys_by_source().items():
            checks.extend(
                build_last_update_freshness_checks(
                    assets=keys, lower_bound_delta=freshness_window(source), severity=FRESHNESS_SEVERITY
                )
            )
    return checks


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

