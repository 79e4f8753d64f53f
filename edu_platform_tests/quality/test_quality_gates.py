"""Quality gates that every source inherits: freshness per cadence on every bronze table, blocking
key/null checks on every bronze table, and dbt tests that follow the severity policy."""

import json
import time

import pytest
from dagster import (
    AssetCheckKey,
    AssetCheckSeverity,
    AssetKey,
    AssetMaterialization,
    AssetSelection,
    MetadataValue,
    instance_for_test,
    materialize,
)

from edu_platform.defs.quality.freshness import (
    bronze_keys_by_source,
    bronze_partitions,
    cadence_of,
    deadline_cron,
    expected_partitions,
    freshness_window,
)
from edu_platform.sources import SOURCES
from edu_platform_tests.helpers import check_results

pytestmark = pytest.mark.fast  # no PostgreSQL: `make test-fast`

HOUR = 3600


def _defs():
    from edu_platform.definitions import defs

    return defs


def _check_specs():
    return {spec.key: spec for checks in _defs().asset_checks for spec in checks.check_specs}


def _bronze_keys():
    graph = _defs().resolve_asset_graph()
    return sorted(
        (k for k in graph.get_all_asset_keys() if k.path[0] == "bronze" and graph.get(k).is_materializable),
        key=lambda k: k.to_user_string(),
    )


def test_cadences():
    assert {s: cadence_of(s) for s in SOURCES} == {"oulad": "monthly", "dost": "weekly", "udacity": "monthly"}
    assert freshness_window("oulad").days == 32
    assert freshness_window("dost").days == 8
    with pytest.raises(ValueError, match="CADENCE"):
        cadence_of("no_such_source")


def test_every_bronze_asset_has_a_freshness_check_for_its_cadence():
    specs = _check_specs()
    keys = _bronze_keys()
    assert AssetKey(["bronze", "oulad", "student_vle"]) in keys
    by_source = bronze_keys_by_source()
    assert sorted(k for ks in by_source.values() for k in ks) == keys  # built from the same assets the graph has
    for key in keys:
        spec = specs.get(AssetCheckKey(key, "freshness_check"))
        assert spec is not None, f"{key.to_user_string()} has no freshness check"
        assert not spec.blocking
        assert "Evaluates freshness" not in spec.description and "Severity WARN" in spec.description
        params = spec.metadata["dagster/freshness_params"].value
        if bronze_partitions()[key] is None:
            assert params["lower_bound_delta_seconds"] == freshness_window(key.path[1]).total_seconds()
        else:  # partitioned: each partition is due a day after it ends
            assert params["deadline_cron"] == deadline_cron(key.path[1])


def test_every_bronze_asset_has_blocking_key_and_null_checks():
    specs = _check_specs()
    for key in _bronze_keys():
        gates = [specs.get(AssetCheckKey(key, name)) for name in ("duplicate_keys", "required_not_null")]
        gates = [g for g in gates if g is not None]
        assert gates, f"{key.to_user_string()} declares no key or required columns (TableContract)"
        assert all(g.blocking for g in gates)


def _run_freshness(instance, keys):
    defs = _defs()
    return materialize(
        assets=[*defs.assets, *defs.asset_checks],
        selection=AssetSelection.checks(*[AssetCheckKey(k, "freshness_check") for k in keys]),
        resources=defs.resources,
        instance=instance,
        raise_on_error=False,
    )


def _report_update(instance, key, seconds_ago):
    instance.report_runless_asset_event(
        AssetMaterialization(
            asset_key=key, metadata={"dagster/last_updated_timestamp": MetadataValue.timestamp(time.time() - seconds_ago)}
        )
    )


def test_freshness_warns_when_a_source_is_late_and_passes_within_its_cadence(tmp_path):
    by_source = bronze_keys_by_source()
    partitions = bronze_partitions()
    # one unpartitioned table per source is enough: the check is the same for all of a source's tables
    probes = {source: next(k for k in keys if partitions[k] is None) for source, keys in by_source.items()
              if any(partitions[k] is None for k in keys)}
    assert set(probes) >= {"oulad", "udacity"}  # OULAD's snapshot, the course dimension files
    with instance_for_test(temp_dir=str(tmp_path)) as instance:
        never = _run_freshness(instance, probes.values())
        assert never.success  # WARN, not blocking: a stale source never fails a run
        results = check_results(never)
        assert len(results) == len(probes)
        assert all(not r.passed and r.severity == AssetCheckSeverity.WARN for r in results.values())
        assert all("never been observed/materialized" in r.description for r in results.values())

        for source, key in probes.items():
            _report_update(instance, key, freshness_window(source).total_seconds() - HOUR)
        fresh = check_results(_run_freshness(instance, probes.values()))
        assert all(r.passed for r in fresh.values()), {k: r.description for k, r in fresh.items()}

        for source, key in probes.items():
            _report_update(instance, key, freshness_window(source).total_seconds() + HOUR)
        late = check_results(_run_freshness(instance, probes.values()))
        assert all(not r.passed and r.severity == AssetCheckSeverity.WARN for r in late.values())
        assert all("overdue" in r.description for r in late.values())


def _report_partition(instance, key, partition):
    instance.report_runless_asset_event(AssetMaterialization(asset_key=key, partition=partition))


def test_a_missing_week_fails_its_freshness_check_naming_the_week_and_an_arrived_week_passes(tmp_path):
    """Dost's weeks: the week due (ended more than a day ago) is missing while older weeks were loaded and re-run;
    the check fails naming that week. Once the week lands it passes."""
    key = AssetKey(["bronze", "dost", "campaign"])
    partitions_def = bronze_partitions()[key]
    with instance_for_test(temp_dir=str(tmp_path)) as instance:
        (due,) = expected_partitions(partitions_def, deadline_cron("dost"), instance)
        keys = partitions_def.get_partition_keys()
        older = keys[keys.index(due) - 3 : keys.index(due)]
        for week in older + older[-1:]:  # the week before the due one is even re-run
            _report_partition(instance, key, week)
        missing = check_results(_run_freshness(instance, [key]))[(key.to_user_string(), "freshness_check")]
        assert not missing.passed and missing.severity == AssetCheckSeverity.WARN
        assert due in missing.description, missing.description

        _report_partition(instance, key, due)
        arrived = check_results(_run_freshness(instance, [key]))[(key.to_user_string(), "freshness_check")]
        assert arrived.passed, arrived.description


def test_a_missing_month_of_one_nanodegree_fails_naming_that_partition(tmp_path):
    key = AssetKey(["bronze", "udacity", "video_log"])
    partitions_def = bronze_partitions()[key]
    with instance_for_test(temp_dir=str(tmp_path)) as instance:
        instance.add_dynamic_partitions("nanodegree", ["data_science", "data_engineering"])
        due = expected_partitions(partitions_def, deadline_cron("udacity"), instance)
        assert len(due) == 2
        arrived = next(p for p in due if p.endswith("data_science"))
        late = next(p for p in due if p.endswith("data_engineering"))
        _report_partition(instance, key, arrived)
        result = check_results(_run_freshness(instance, [key]))[(key.to_user_string(), "freshness_check")]
        assert not result.passed and late in result.description and arrived not in result.description
        assert result.metadata["missing_partitions"].value == [late]

        _report_partition(instance, key, late)
        result = check_results(_run_freshness(instance, [key]))[(key.to_user_string(), "freshness_check")]
        assert result.passed, result.description


# -------------------------------------------------------------------------- dbt severity policy

# key, relationship and reconciliation tests block; a warn on one of these needs a written reason
BLOCKING_TESTS = {"unique", "unique_combination_of_columns", "relationships", "equal_rowcount", "equal_sum"}
SOFT_TESTS = {"max_null_share"}  # a share threshold is a soft expectation by definition


def _manifest():
    from edu_platform.lib.dbt import DBT_PROJECT

    return json.loads(DBT_PROJECT.manifest_path.read_text())


def _tests(manifest):
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" and node.get("test_metadata"):
            yield node


def test_dbt_tests_follow_the_severity_policy():
    violations = []
    for node in _tests(_manifest()):
        kind = node["test_metadata"]["name"]
        severity = str(node["config"].get("severity", "ERROR")).upper()
        meta = {**(node.get("meta") or {}), **(node["config"].get("meta") or {})}
        reason = meta.get("severity_reason")
        if kind in BLOCKING_TESTS and severity != "ERROR" and not reason:
            violations.append(f"{node['original_file_path']}: {node['name']} ({kind}) is {severity}, must block")
        if kind in SOFT_TESTS and severity != "WARN":
            violations.append(f"{node['original_file_path']}: {node['name']} ({kind}) is {severity}, must warn")
    assert not violations, "\n".join(violations)


def test_every_silver_and_gold_model_has_a_key_test():
    """A unique / unique_combination test, or an equal_rowcount against a keyed model (a 1:1 projection of
    it whose grain is guarded upstream). Views store nothing and keep their parent's rows (silver
    stg_oulad__student_vle: the published click rows, which have no key)."""
    manifest = _manifest()
    tests = list(_tests(manifest))
    keyed = {t.get("attached_node") for t in tests if t["test_metadata"]["name"] in ("unique", "unique_combination_of_columns")}
    same_rows = [
        (t.get("attached_node"), set(t["depends_on"]["nodes"]) - {t.get("attached_node")})
        for t in tests
        if t["test_metadata"]["name"] == "equal_rowcount"
    ]
    changed = True
    while changed:
        changed = False
        for model, others in same_rows:
            if model not in keyed and others & keyed:
                keyed.add(model)
                changed = True
    missing = [
        node["original_file_path"]
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["fqn"][1:2] in (["silver"], ["gold"]) and uid not in keyed
        and node["config"]["materialized"] != "view"
    ]
    assert not missing, f"models without a key test: {missing}"
