"""Secrets come only from the environment and never reach the event log, run logs or asset metadata."""

from dagster import AssetSelection, DagsterRunStatus, instance_for_test, serialize_value

from edu_platform.synthetic.oulad import generate
from edu_platform_tests.helpers import materialize_selection

CANARY = "Canary-Pw-7731-zq"


def test_password_never_reaches_event_log_or_logs(fresh_warehouse, monkeypatch, tmp_path, capfd):
    generate(tmp_path / "oulad", scale=0.002)
    monkeypatch.setenv("OULAD_SOURCE", str(tmp_path / "oulad"))
    # the embedded server trusts its socket, so the canary password is accepted and travels everywhere
    monkeypatch.setenv("EDU_WAREHOUSE_URL", fresh_warehouse.url.set(password=CANARY).render_as_string(hide_password=False))
    monkeypatch.setenv("EDU_BI_READER_PASSWORD", CANARY)
    (tmp_path / "home").mkdir()
    with instance_for_test(temp_dir=str(tmp_path / "home")) as instance:
        result = materialize_selection(
            AssetSelection.groups("oulad_bronze", "oulad_silver", "oulad_gold", "shared_gold"), instance=instance
        )
        assert result.success
        run = instance.get_run_by_id(result.run_id)
        assert run.status == DagsterRunStatus.SUCCESS
        events = instance.all_logs(result.run_id)
        assert len(events) > 50
        serialized = "\n".join(serialize_value(e) for e in events)
        assert CANARY not in serialized
        assert CANARY not in serialize_value(run)
    captured = capfd.readouterr()
    assert CANARY not in captured.out + captured.err
    for path in (tmp_path / "home").rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path
