"""Online-course source end to end on small landed folders: real dlt loads, real dbt builds, real Dagster runs.

One scenario (module fixture) in a database of its own, in the order a deployment sees it:
data_science 2026-08 lands and loads; a new month folder (2026-09) lands and only that partition is
materialized; a new nanodegree folder (`cybersecurity`, 2026-10) lands, the sensor registers it and only its
partition is materialized; finally a partition is re-run, which must change nothing.
"""

from datetime import datetime, timezone

import pandas as pd
import pytest
from dagster import AssetKey, AssetSelection, DagsterInstance, DefaultScheduleStatus, build_schedule_context, build_sensor_context, instance_for_test
from psycopg2 import sql

from edu_platform.synthetic import udacity as generator
from edu_platform.defs.udacity.assets import udacity_dims_bronze, udacity_dims_dbt, udacity_facts_bronze, udacity_facts_dbt
from edu_platform.defs.udacity.landing import discover_nanodegrees
from edu_platform.defs.udacity.schedules import udacity_nanodegree_sensor
from edu_platform_tests.helpers import check_results, make_database, materialize_selection, materialized_keys, run_dbt, started_steps, step_errors, table_hash
from edu_platform_tests.udacity import reference_marts as reference

SCALE = 0.01
DIMS = AssetSelection.assets(udacity_dims_bronze, udacity_dims_dbt)
FACTS = AssetSelection.assets(udacity_facts_bronze, udacity_facts_dbt)
FACT_TABLES = ("project_feedback", "section_feedback", "mentor_activity", "video_log")
GOLD = (
    "dim_udacity_user", "dim_project", "dim_video", "dim_nanodegree", "fct_project_feedback", "fct_section_feedback",
    "fct_mentor_activity", "fct_video_views", "fct_learning_sessions", "mart_video_replays",
    "mart_negative_feedback_share", "mart_negative_themes", "mart_mentor_prompts",
    "mart_churn_after_negative_feedback", "mart_daily_learning_sessions",
)
SILVER = tuple(f"stg_udacity__{t}" for t in FACT_TABLES + ("users", "projects", "videos"))


def key(month: str, nanodegree: str) -> str:
    return f"{month}-01|{nanodegree}"


def snapshot(wh) -> dict:
    out = {f"bronze.udacity_{t}": table_hash(wh, f"bronze.udacity_{t}") for t in FACT_TABLES + ("users", "projects", "videos")}
    out.update({f"silver.{t}": table_hash(wh, f"silver.{t}") for t in SILVER})
    out.update({f"gold.{t}": table_hash(wh, f"gold.{t}") for t in GOLD})
    return out


def partition_hashes(wh) -> dict:
    out = {}
    for table in FACT_TABLES:
        for nanodegree, month in wh.rows(f"select distinct nanodegree, month from bronze.udacity_{table}"):
            where = f"where nanodegree = '{nanodegree}' and month = '{month}'"
            out[(table, nanodegree, month)] = table_hash(wh, f"bronze.udacity_{table}", where)
    return out


def partitions_of(result) -> set:
    return {
        (e.asset_key.to_user_string(), e.partition)
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    }


def sensor_tick(instance):
    # closing the context resets the defs-state storage it installs (a stale one breaks later materializations)
    with build_sensor_context(instance=instance) as context:
        result = udacity_nanodegree_sensor(context)
    for request in getattr(result, "dynamic_partitions_requests", None) or []:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


@pytest.fixture(scope="module")
def scenario(tmp_path_factory, module_monkeypatch):
    root = tmp_path_factory.mktemp("udacity_landing")
    mp = module_monkeypatch
    wh = make_database("udacity")
    mp.setenv("EDU_WAREHOUSE_URL", wh.libpq_url())
    mp.setenv("EDU_DLT_PIPELINES_DIR", str(tmp_path_factory.mktemp("udacity_dlt")))
    mp.setenv("UDACITY_SOURCE", str(root))
    instance = DagsterInstance.ephemeral()
    s = {"root": root, "wh": wh, "instance": instance}
    # the catalogue (dimension files) already lists both nanodegrees; facts land month by month
    generator.write_dimensions(root, ["data_science", "cybersecurity"], SCALE)
    generator.write_month(root, "data_science", "2026-08", SCALE)
    # folders whose names must never become partitions (nor paths, nor SQL)
    for bad in ("x'; drop table users; --", "Data-Science"):
        (root / bad / "2026" / "09").mkdir(parents=True)
        (root / bad / "2026" / "09" / "video_log.csv").write_text("event_id\n")
    s["first_tick"] = sensor_tick(instance)
    run_dbt(wh, "run", "--select", "dim_date")  # a deployment has it from the shared dimensions
    s["dims"] = materialize_selection(DIMS, instance=instance)
    s["initial"] = materialize_selection(FACTS, instance=instance, partition_key=key("2026-08", "data_science"))
    s["before_new_month"] = partition_hashes(wh)

    # a new month folder lands: only that partition runs
    generator.write_month(root, "data_science", "2026-09", SCALE)
    s["new_month"] = materialize_selection(FACTS, instance=instance, partition_key=key("2026-09", "data_science"))
    s["after_new_month"] = partition_hashes(wh)

    # a new nanodegree folder lands: the sensor registers it, and only its partition runs
    generator.write_month(root, "cybersecurity", "2026-10", SCALE)
    s["second_tick"] = sensor_tick(instance)
    s["before_new_nanodegree"] = partition_hashes(wh)
    s["new_nanodegree"] = materialize_selection(FACTS, instance=instance, partition_key=key("2026-10", "cybersecurity"))
    s["after_new_nanodegree"] = partition_hashes(wh)

    # re-running a partition changes nothing, anywhere
    s["before_rerun"] = snapshot(wh)
    s["rerun"] = materialize_selection(FACTS, instance=instance, partition_key=key("2026-08", "data_science"))
    s["after_rerun"] = snapshot(wh)
    yield s


def test_definitions(scenario):
    from edu_platform.definitions import defs

    graph = defs.resolve_asset_graph()
    video_log = graph.get(AssetKey(["bronze", "udacity", "video_log"]))
    assert set(video_log.partitions_def.partitions_defs[0].partitions_def.get_partition_keys()[:1]) == {"2026-08-01"}
    assert {d.name for d in video_log.partitions_def.partitions_defs} == {"month", "nanodegree"}
    assert graph.get(AssetKey(["bronze", "udacity", "users"])).partitions_def is None
    assert graph.get(AssetKey(["gold", "udacity", "dim_video"])).partitions_def is None
    assert graph.get(AssetKey(["gold", "udacity", "mart_daily_learning_sessions"])).partitions_def is not None
    job = defs.resolve_job_def("udacity_monthly_job")
    assert job.tags["edu_platform/pipeline"] == "udacity"


def test_sensor_registers_folders_and_refuses_unsafe_names(scenario):
    first = scenario["first_tick"]
    assert [r.partition_keys for r in first.dynamic_partitions_requests] == [["data_science"]]
    second = scenario["second_tick"]
    assert [r.partition_keys for r in second.dynamic_partitions_requests] == [["cybersecurity"]]
    assert sorted(scenario["instance"].get_dynamic_partitions("nanodegree")) == ["cybersecurity", "data_science"]
    valid, refused = discover_nanodegrees(str(scenario["root"]))
    assert valid == ["cybersecurity", "data_science"]
    assert sorted(refused) == ["Data-Science", "x'; drop table users; --"]
    # a third tick finds nothing new
    assert "no new nanodegree folder" in sensor_tick(scenario["instance"]).skip_message


def test_every_run_succeeds_and_checks_pass(scenario):
    for name in ("dims", "initial", "new_month", "new_nanodegree", "rerun"):
        result = scenario[name]
        assert result.success, (name, step_errors(result)[:1])
    results = check_results(scenario["rerun"])
    # freshness warns about the months after the seeded ones (they are due by the clock): not this data's content
    failed = {k: v.description for k, v in results.items() if not v.passed and k[1] != "freshness_check"}
    assert not failed
    assert len(results) > 50


def test_new_month_materializes_only_that_partition(scenario):
    result = scenario["new_month"]
    assert {p for _, p in partitions_of(result)} == {"2026-09-01|data_science"}
    assert "bronze/udacity/video_log" in materialized_keys(result)
    before, after = scenario["before_new_month"], scenario["after_new_month"]
    assert {k: v for k, v in after.items() if k[2] != "2026-09-01"} == before
    raw = pd.read_csv(scenario["root"] / "data_science" / "2026" / "09" / "video_log.csv", dtype=str)
    assert after[("video_log", "data_science", "2026-09-01")][0] == len(raw)  # bronze keeps the verbatim repeats
    silver = scenario["wh"].scalar(
        "select count(*) from silver.stg_udacity__video_log where month = '2026-09-01' and nanodegree = 'data_science'"
    )
    assert silver == raw.event_id.nunique() < len(raw)


def test_new_nanodegree_materializes_only_its_partition(scenario):
    result = scenario["new_nanodegree"]
    assert {p for _, p in partitions_of(result)} == {"2026-10-01|cybersecurity"}
    before, after = scenario["before_new_nanodegree"], scenario["after_new_nanodegree"]
    assert {k: v for k, v in after.items() if k[1] != "cybersecurity"} == before
    assert {k[1:] for k in after} == {("data_science", "2026-08-01"), ("data_science", "2026-09-01"), ("cybersecurity", "2026-10-01")}
    wh = scenario["wh"]
    assert wh.scalar("select nanodegree_name from gold.dim_nanodegree where nanodegree = 'cybersecurity'") == "Cybersecurity"
    assert wh.scalar("select count(*) from gold.mart_video_replays where nanodegree = 'cybersecurity'") > 0
    materialized = scenario["instance"].get_materialized_partitions(AssetKey(["gold", "udacity", "fct_video_views"]))
    assert sorted(materialized) == ["2026-08-01|data_science", "2026-09-01|data_science", "2026-10-01|cybersecurity"]


def test_rerunning_a_partition_is_idempotent(scenario):
    assert {p for _, p in partitions_of(scenario["rerun"])} == {"2026-08-01|data_science"}
    before, after = scenario["before_rerun"], scenario["after_rerun"]
    assert before == after
    assert all(n > 0 for n, _ in before.values())


def test_gold_holds_no_personal_data(scenario):
    wh = scenario["wh"]
    users = reference.dimension(scenario["root"], "users_dim")
    names = set(users.first_name.str.lower()) | set(users.last_name.str.lower())
    forbidden = {"email", "first_name", "last_name", "feedback_text", "question_text", "answer_text"}
    for table in GOLD:
        columns = wh.rows(
            "select column_name, data_type from information_schema.columns where table_schema = 'gold' and table_name = %s",
            (table,),
        )
        assert not forbidden & {c for c, _ in columns}, table
        for column, data_type in columns:
            if data_type not in ("text", "character varying"):
                continue
            with wh.cursor() as cur:
                cur.execute(sql.SQL("select distinct {} from {}").format(sql.Identifier(column), sql.Identifier("gold", table)))
                values = {v for (v,) in cur.fetchall() if v}
            assert not [v for v in values if "@" in v], (table, column)
            words = {w for v in values for w in v.lower().replace("'", " ").split()}
            assert not words & names, (table, column, words & names)
    # silver does hold them (the texts carry e-mails and signatures), which is why gold must not
    assert wh.scalar("select count(*) from silver.stg_udacity__project_feedback where feedback_text like '%@%'") > 0


def _frame(wh, query, columns):
    return pd.DataFrame(wh.rows(query), columns=columns)


def test_replays_mart_matches_python(scenario):
    expected = reference.video_replays(scenario["root"])
    cols = ["nanodegree", "month", "video_id", "viewers", "views", "replays", "views_per_viewer", "max_views_by_one_viewer", "replay_rank"]
    got = _frame(scenario["wh"], f"select nanodegree, month::text, video_id, viewers, views, replays, views_per_viewer, max_views_by_one_viewer, replay_rank from gold.mart_video_replays", cols)
    got[cols[3:]] = got[cols[3:]].astype(float)
    expected[cols[3:]] = expected[cols[3:]].astype(float)
    pd.testing.assert_frame_equal(
        got.sort_values(cols[:3]).reset_index(drop=True), expected[cols].sort_values(cols[:3]).reset_index(drop=True)
    )
    assert (got.replays > 0).any()


def test_negative_share_mart_matches_python(scenario):
    expected = reference.negative_share(scenario["root"])
    cols = ["nanodegree", "section_id", "month", "feedback", "negative_feedback", "negative_share"]
    got = _frame(scenario["wh"], "select nanodegree, section_id, month::text, feedback, negative_feedback, negative_share from gold.mart_negative_feedback_share", cols)
    got[cols[3:]] = got[cols[3:]].astype(float)
    expected[cols[3:]] = expected[cols[3:]].astype(float)
    pd.testing.assert_frame_equal(got.sort_values(cols[:3]).reset_index(drop=True), expected[cols].sort_values(cols[:3]).reset_index(drop=True))
    assert got.negative_feedback.sum() > 0


def test_mentor_prompts_mart_matches_python(scenario):
    expected = reference.mentor_prompts(scenario["root"])
    cols = ["category", "prompt", "questions", "learners", "share_of_category", "prompt_rank"]
    got = _frame(scenario["wh"], "select category, question_prompt, questions, learners, share_of_category, prompt_rank from gold.mart_mentor_prompts", cols)
    got[cols[2:]] = got[cols[2:]].astype(float)
    expected[cols[2:]] = expected[cols[2:]].astype(float)
    pd.testing.assert_frame_equal(got.sort_values(cols[:2]).reset_index(drop=True), expected[cols].sort_values(cols[:2]).reset_index(drop=True))
    top = dict(got[got.prompt_rank == 1][["category", "prompt"]].values)
    assert top["technical"] == "how do i"


def test_churn_mart_matches_python(scenario):
    expected = reference.churn_after_negative_feedback(scenario["root"])
    cols = ["nanodegree", "learner_group", "learners", "churned", "churn_share"]
    got = _frame(scenario["wh"], "select nanodegree, learner_group, learners, churned, churn_share from gold.mart_churn_after_negative_feedback", cols)
    got[cols[2:]] = got[cols[2:]].astype(float)
    expected[cols[2:]] = expected[cols[2:]].astype(float)
    pd.testing.assert_frame_equal(got.sort_values(cols[:2]).reset_index(drop=True), expected[cols].sort_values(cols[:2]).reset_index(drop=True))
    assert set(got.learner_group) == {"negative_feedback", "other_feedback"}


def test_daily_sessions_mart_matches_python(scenario):
    expected = reference.daily_sessions(scenario["root"])
    expected["session_date"] = expected.session_date.astype(str)
    cols = ["session_date", "nanodegree", "sessions", "learners", "completed_sessions", "completion_rate"]
    got = _frame(scenario["wh"], "select session_date::text, nanodegree, sessions, learners, completed_sessions, completion_rate from gold.mart_daily_learning_sessions", cols)
    got[cols[2:]] = got[cols[2:]].astype(float)
    expected[cols[2:]] = expected[cols[2:]].astype(float)
    pd.testing.assert_frame_equal(got.sort_values(cols[:2]).reset_index(drop=True), expected[cols].sort_values(cols[:2]).reset_index(drop=True))


def test_negative_themes_count_documents_like_python(scenario):
    wh = scenario["wh"]
    themes = _frame(wh, "select nanodegree, month::text, term, negative_with_term, negative_feedback, lift, theme_rank from gold.mart_negative_themes",
                    ["nanodegree", "month", "term", "negative_with_term", "negative_feedback", "lift", "theme_rank"])
    assert len(themes) and (themes.lift > 1).all()
    # every word of the generator's negative themes, and the lexeme PostgreSQL makes of it
    vocabulary = {w for theme in generator.NEGATIVE_THEMES for w in theme.split()}
    lexeme_of = {w: (wh.scalar("select (tsvector_to_array(to_tsvector('english', %s)))[1]", (w,)) or "") for w in vocabulary}
    words_of: dict[str, set] = {}
    for word, lexeme in lexeme_of.items():
        if lexeme:
            words_of.setdefault(lexeme, set()).add(word)
    checked = 0
    for row in themes.itertuples():
        assert row.term in words_of, f"{row.term} is not a theme word (tone or filler leaked)"
        counts = reference.negative_documents_with(scenario["root"], words_of[row.term])
        assert row.negative_with_term == counts.get((row.nanodegree, row.month), 0), row
        checked += 1
    assert checked >= 10
    totals = themes.groupby(["nanodegree", "month"]).negative_feedback.first().to_dict()
    feedback = pd.concat([reference.landed_facts(scenario["root"], s) for s in ("project_feedback", "section_feedback")])
    negative = feedback[feedback.rating.astype(int) <= 2].groupby(["nanodegree", "month"]).size().to_dict()
    assert totals == {k: v for k, v in negative.items() if k in totals}


def test_schedule_requests_previous_month_for_every_nanodegree(scenario):
    from edu_platform.definitions import defs

    schedule = defs.get_schedule_def("udacity_monthly_schedule")
    assert schedule.default_status == DefaultScheduleStatus.STOPPED  # EDU_SCHEDULES_RUNNING unset
    with instance_for_test() as instance:  # a persistent instance, as the daemon has (dynamic partitions)
        instance.add_dynamic_partitions("nanodegree", scenario["instance"].get_dynamic_partitions("nanodegree"))
        with build_schedule_context(
            instance=instance,
            scheduled_execution_time=datetime(2026, 11, 1, 5, 0, tzinfo=timezone.utc),
            repository_def=defs.get_repository_def(),
        ) as context:
            requests = schedule.evaluate_tick(context).run_requests
    # data_science has no 2026-10 folder: the schedule waits for it (edu_platform_tests/calendar)
    assert sorted(r.partition_key for r in requests) == ["2026-10-01|cybersecurity"]
    assert schedule.cron_schedule == "0 * * * *"


def test_missing_file_and_unsafe_partition_fail_clearly(scenario, tmp_path, monkeypatch):
    broken = tmp_path / "landing"
    generator.write_month(broken, "data_science", "2026-08", SCALE)
    (broken / "data_science" / "2026" / "08" / "mentor_activity.csv").unlink()
    monkeypatch.setenv("UDACITY_SOURCE", str(broken))
    before = partition_hashes(scenario["wh"])
    result = materialize_selection(AssetSelection.assets(udacity_facts_bronze), instance=scenario["instance"], partition_key=key("2026-08", "data_science"))
    assert not result.success
    message = "\n".join(step_errors(result))
    assert f"{broken}/data_science/2026/08: missing file mentor_activity.csv" in message
    assert partition_hashes(scenario["wh"]) == before  # nothing replaced

    # a partition key added by hand (API, UI) is refused before it reaches a path or SQL
    unsafe = "x'; drop table users; --"
    scenario["instance"].add_dynamic_partitions("nanodegree", [unsafe])
    try:
        result = materialize_selection(FACTS, instance=scenario["instance"], partition_key=f"2026-08-01|{unsafe}")
    finally:
        scenario["instance"].delete_dynamic_partition("nanodegree", unsafe)
    assert not result.success
    assert "invalid nanodegree name" in "\n".join(step_errors(result))
    assert "udacity_facts_dbt" not in started_steps(result)
    assert scenario["wh"].scalar("select count(*) from bronze.udacity_users") > 0


def test_header_only_file_empties_its_partition(scenario, tmp_path, monkeypatch):
    root = tmp_path / "landing"
    generator.write_month(root, "cybersecurity", "2026-08", SCALE)
    monkeypatch.setenv("UDACITY_SOURCE", str(root))
    bronze = AssetSelection.assets(udacity_facts_bronze)
    partition = key("2026-08", "cybersecurity")
    count = "select count(*) from bronze.udacity_section_feedback where nanodegree = 'cybersecurity' and month = '2026-08-01'"
    others = partition_hashes(scenario["wh"])
    assert materialize_selection(bronze, instance=scenario["instance"], partition_key=partition).success
    assert scenario["wh"].scalar(count) > 0
    path = root / "cybersecurity" / "2026" / "08" / "section_feedback.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")  # the month's export now has no rows
    result = materialize_selection(bronze, instance=scenario["instance"], partition_key=partition)
    assert result.success, step_errors(result)[:1]
    assert scenario["wh"].scalar(count) == 0
    after = partition_hashes(scenario["wh"])
    assert {k: v for k, v in after.items() if k[1:] != ("cybersecurity", "2026-08-01")} == others


def test_dimension_files_merge_on_keys_latest_version_wins(scenario, tmp_path, monkeypatch):
    root = tmp_path / "landing"
    generator.write_dimensions(root, ["data_science", "cybersecurity"], SCALE)
    path = root / "dimensional_tables" / "users_dim.csv"
    users = pd.read_csv(path, dtype=str, keep_default_na=False)
    changed = users.iloc[[0]].assign(country="ZZ", updated_at="2026-12-01T00:00:00Z")      # a newer version
    stale = users.iloc[[1]].assign(country="YY", updated_at="2020-01-01T00:00:00Z")        # an older one, listed later
    newest = users.iloc[[2]].assign(country="XX", updated_at="2027-01-01T00:00:00Z")       # newest, listed first
    pd.concat([newest, users.iloc[1:], changed, stale]).to_csv(path, index=False)
    monkeypatch.setenv("UDACITY_SOURCE", str(root))
    result = materialize_selection(AssetSelection.assets(udacity_dims_bronze), instance=scenario["instance"])
    assert result.success, step_errors(result)[:1]
    wh = scenario["wh"]
    # bronze keeps every version (merged on user_id and updated_at); the latest updated_at is the user's row
    assert wh.scalar("select count(distinct user_id) from bronze.udacity_users") == len(users)
    countries = dict(wh.rows("select distinct on (user_id) user_id, country from bronze.udacity_users where user_id in %s"
                             " order by user_id, updated_at desc", (tuple(users.user_id[:3]),)))
    assert countries == {users.user_id[0]: "ZZ", users.user_id[1]: users.country[1], users.user_id[2]: "XX"}
    assert check_results(result)[("bronze/udacity/users", "duplicate_keys")].passed
