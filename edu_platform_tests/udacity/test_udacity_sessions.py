"""Sessionization on hand-built event sequences: the real dbt models (silver video log, fct_learning_sessions,
mart_daily_learning_sessions) run on a bronze table written by hand, in a database of the test's own.

Rule under test: a session ends when the learner is inactive for MORE than 15 minutes; a gap of exactly
15:00 keeps the session going. Events are ordered by time whatever order they landed in.
"""

import random
from datetime import date, datetime

import pandas as pd
import pytest

from edu_platform_tests.helpers import make_database, run_dbt
from edu_platform_tests.udacity import reference_marts as reference

# (event_id, user, video, timestamp UTC, type, landed month)
EVENTS = [
    # gap of exactly 15:00 stays in the session; 15:01 starts a new one
    ("a1", "ua", "v1", "2026-08-03T10:00:00Z", "play", "2026-08-01"),
    ("a2", "ua", "v1", "2026-08-03T10:15:00Z", "pause", "2026-08-01"),
    ("a3", "ua", "v2", "2026-08-03T10:30:01Z", "play", "2026-08-01"),
    ("a4", "ua", "v2", "2026-08-03T10:35:00Z", "complete", "2026-08-01"),
    # across midnight, and across two landed months (partitions)
    ("b1", "ub", "v1", "2026-08-31T23:55:00Z", "play", "2026-08-01"),
    ("b2", "ub", "v1", "2026-08-31T23:59:30Z", "complete", "2026-08-01"),
    ("b3", "ub", "v2", "2026-09-01T00:05:00Z", "play", "2026-09-01"),
    ("b4", "ub", "v2", "2026-09-01T00:12:00Z", "pause", "2026-09-01"),
    # a single event
    ("c1", "uc", "v3", "2026-08-05T08:00:00Z", "play", "2026-08-01"),
    # unordered input (shuffled below), with a verbatim repeat of one event
    ("d1", "ud", "v1", "2026-08-07T09:00:00Z", "play", "2026-08-01"),
    ("d2", "ud", "v1", "2026-08-07T09:10:00Z", "pause", "2026-08-01"),
    ("d3", "ud", "v1", "2026-08-07T09:40:00Z", "play", "2026-08-01"),
    ("d4", "ud", "v1", "2026-08-07T09:50:00Z", "complete", "2026-08-01"),
    ("d1", "ud", "v1", "2026-08-07T09:00:00Z", "play", "2026-08-01"),
]

T = datetime.fromisoformat
# (user, start, end, duration s, events, videos touched, completed, session date)
EXPECTED = [
    ("ua", T("2026-08-03 10:00:00"), T("2026-08-03 10:15:00"), 900, 2, 1, False, date(2026, 8, 3)),
    ("ua", T("2026-08-03 10:30:01"), T("2026-08-03 10:35:00"), 299, 2, 1, True, date(2026, 8, 3)),
    ("ub", T("2026-08-31 23:55:00"), T("2026-09-01 00:12:00"), 1020, 4, 2, True, date(2026, 8, 31)),
    ("uc", T("2026-08-05 08:00:00"), T("2026-08-05 08:00:00"), 0, 1, 1, False, date(2026, 8, 5)),
    ("ud", T("2026-08-07 09:00:00"), T("2026-08-07 09:10:00"), 600, 2, 1, False, date(2026, 8, 7)),
    ("ud", T("2026-08-07 09:40:00"), T("2026-08-07 09:50:00"), 600, 2, 1, True, date(2026, 8, 7)),
]


@pytest.fixture(scope="module")
def sessions_db(module_monkeypatch):
    wh = make_database("udacity_sessions")
    module_monkeypatch.setenv("EDU_WAREHOUSE_URL", wh.libpq_url())
    rows = EVENTS[:]
    random.Random(7).shuffle(rows)
    with wh.cursor() as cur:
        cur.execute("create schema bronze")
        cur.execute(
            "create table bronze.udacity_video_log (event_id text, user_id text, video_id text, event_ts text,"
            " event_type text, seconds_watched text, nanodegree text, month text)"
        )
        cur.executemany(
            "insert into bronze.udacity_video_log values (%s, %s, %s, %s, %s, '0', 'sessiontest', %s)", rows
        )
    run_dbt(wh, "run", "--select", "dim_date stg_udacity__video_log fct_learning_sessions mart_daily_learning_sessions")
    return wh


def test_sessions_follow_the_15_minute_rule(sessions_db):
    got = sessions_db.rows(
        "select user_id, session_start, session_end, duration_seconds, events, videos_touched, completed, session_date"
        " from gold.fct_learning_sessions order by user_id, session_start"
    )
    assert got == EXPECTED


def test_daily_sessions_mart(sessions_db):
    got = sessions_db.rows(
        "select session_date, sessions, completed_sessions, completion_rate::float from gold.mart_daily_learning_sessions"
        " where nanodegree = 'sessiontest' order by session_date"
    )
    assert got == [
        (date(2026, 8, 3), 2, 1, 0.5),
        (date(2026, 8, 5), 1, 0, 0.0),
        (date(2026, 8, 7), 2, 1, 0.5),
        (date(2026, 8, 31), 1, 1, 1.0),
    ]


@pytest.mark.fast
def test_python_reference_agrees_on_the_same_events():
    frame = pd.DataFrame(EVENTS, columns=["event_id", "user_id", "video_id", "event_ts", "event_type", "month"])
    frame = frame.drop_duplicates("event_id").sample(frac=1, random_state=3).assign(nanodegree="sessiontest")
    frame["ts"] = pd.to_datetime(frame.event_ts, utc=True)
    sessions = reference.sessionize(frame).sort_values(["user_id", "start"])
    got = [
        (r.user_id, r.start.tz_localize(None).to_pydatetime(), r.end.tz_localize(None).to_pydatetime(), r.duration_seconds,
         r.events, r.videos_touched, r.completed, r.session_date)
        for r in sessions.itertuples()
    ]
    assert got == EXPECTED
