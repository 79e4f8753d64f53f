"""The course-file generator and the default landing: deterministic, layout as specified, measurable text."""

import hashlib
import subprocess
import sys
from datetime import datetime, timezone

import pandas as pd
import pytest

from edu_platform.defs.udacity import landing as landing_root
from edu_platform.defs.udacity.settings import validate_nanodegree
from edu_platform.defs.udacity.tables import FACT_FILES
from edu_platform.synthetic import udacity as generator
from edu_platform.synthetic.landing import udacity as landing

pytestmark = pytest.mark.fast  # no PostgreSQL: `make test-fast`


def _digest(root) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.csv"))
    }


def test_layout_and_determinism(tmp_path):
    together = tmp_path / "together"
    generator.generate(together, scale=0.004, nanodegrees=["data_science", "machine_learning"], months=["2026-08", "2026-09"])
    files = set(_digest(together))
    assert {f"dimensional_tables/{s}.csv" for s in ("users_dim", "projects_dim", "videos_dim")} <= files
    for nd in ("data_science", "machine_learning"):
        for month in ("08", "09"):
            assert {f"{nd}/2026/{month}/{stem}.csv" for stem in FACT_FILES} <= files
    # one folder at a time, nanodegrees in another order: the same bytes
    apart = tmp_path / "apart"
    for nd, month in [("machine_learning", "2026-09"), ("data_science", "2026-08"), ("machine_learning", "2026-08"), ("data_science", "2026-09")]:
        generator.write_dimensions(apart, [nd], 0.004)
        generator.write_month(apart, nd, month, 0.004)
    assert _digest(apart) == _digest(together)


def test_content_is_realistic(tmp_path):
    facts = generator.month_facts("data_science", "2026-09", 0.01)
    log = facts["video_log"]
    assert set(log.event_type) == {"play", "pause", "complete"}
    assert log.event_id.duplicated().sum() > 0  # the export repeats a few events verbatim
    assert (log.event_ts.str[:7] >= "2026-09").all()
    feedback = pd.concat([facts["project_feedback"], facts["section_feedback"]])
    negative = feedback[feedback.rating <= 2].feedback_text
    positive = feedback[feedback.rating >= 4].feedback_text
    assert len(negative) and len(positive)
    assert negative.map(lambda t: any(theme in t.lower() for theme in generator.NEGATIVE_THEMES)).all()
    assert positive.map(lambda t: any(theme in t.lower() for theme in generator.POSITIVE_THEMES)).all()
    assert feedback.feedback_text.str.contains("@").any()  # some texts carry personal data
    questions = facts["mentor_activity"]
    assert set(questions.category) <= set(generator.CATEGORIES)
    assert (questions.answered_at.eq("") | (questions.answered_at > questions.asked_at)).all()


def test_full_scale_size():
    assert len(generator.users(1.0)) == 50_000
    # the default range ends with the last complete month, whatever the day
    assert generator.default_months(now=datetime(2026, 11, 15, tzinfo=timezone.utc))[0] == "2024-11"
    assert generator.DEFAULT_MONTHS >= 24 and len(generator.DEFAULT_NANODEGREES) >= 3


@pytest.mark.parametrize("name", ["../../etc", "x'; drop table users; --", "Data_Science", "1abc", ""])
def test_unsafe_nanodegree_names_are_refused(name, tmp_path):
    with pytest.raises(ValueError, match="invalid nanodegree name"):
        validate_nanodegree(name)
    with pytest.raises(ValueError):
        generator.write_month(tmp_path, name, "2026-08", 0.004)


def test_cli_generates_one_month_of_a_new_nanodegree(tmp_path):
    out = tmp_path / "landing"
    cmd = [sys.executable, "-m", "edu_platform.cli", "generate", "udacity", "--scale", "0.004", "--out", str(out),
           "--month", "2026-10", "--nanodegree", "robotics"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert "video_log" in done.stdout
    assert {p.name for p in (out / "robotics" / "2026" / "10").iterdir()} == {f"{s}.csv" for s in FACT_FILES}
    projects = pd.read_csv(out / "dimensional_tables" / "projects_dim.csv")
    assert set(projects.nanodegree) == {"robotics"}


def test_default_landing_covers_every_partition_month(tmp_path, monkeypatch):
    monkeypatch.setenv("EDU_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("EDU_UDACITY_SCALE", "0.002")
    monkeypatch.delenv("UDACITY_SOURCE", raising=False)
    months = landing.default_months(datetime(2026, 11, 23, tzinfo=timezone.utc))
    assert months == ["2026-08", "2026-09", "2026-10"]
    assert landing.last_complete_month(datetime(2027, 1, 5, tzinfo=timezone.utc)) == "2026-12"
    message = landing.ensure_landed()
    assert message and "generated" in message
    assert landing.ensure_landed() is None  # nothing left to land
    valid, refused = landing_root.discover_nanodegrees()
    assert valid == ["data_engineering", "data_science", "machine_learning"] and refused == []
