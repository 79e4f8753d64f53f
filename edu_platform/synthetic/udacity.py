"""Deterministic synthetic online-course files (Udacity-like nanodegrees), landed by nanodegree/year/month.

Layout: `<out>/<nanodegree>/<YYYY>/<MM>/{project_feedback,section_feedback,mentor_activity,video_log}.csv`
and `<out>/dimensional_tables/{users_dim,projects_dim,videos_dim}.csv`.

Every month folder is a pure function of (seed, scale, nanodegree, month): generating months one at a
time, or a new nanodegree later, gives the same files as generating them together. Dimension files are
merged on their key with what is already landed, so a new nanodegree adds its projects and videos.
Scale 1.0: 50,000 users, three nanodegrees, 24 months (about 13 M video-log events).

Free text comes from templates and word lists: negative feedback names one of a few themes (audio,
outdated content, confusing instructions, slow reviews, ...), positive feedback others, and a small share
of texts carries personal data (an e-mail address, a signature) the way real exports do.
"""

import csv
import zlib
from datetime import datetime
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from edu_platform.defs.udacity.settings import DIMENSION_FOLDER, parse_month, validate_nanodegree
from edu_platform.defs.udacity.tables import DIM_FILES, FACT_FILES
from edu_platform.lib.partitions import last_complete_month

SEED = 20260801
DEFAULT_NANODEGREES = ("data_science", "data_engineering", "machine_learning")
FULL_USERS = 50_000
DEFAULT_MONTHS = 24  # the default range: this many months, ending with the last complete month
# Learners sign up over these 30 months; a learner comes back for another round one signup window after
# the last, so every month, however far from these dates, has a steady population of active learners.
SIGNUP_START = np.datetime64("2024-05-01")
SIGNUP_END = np.datetime64("2026-10-31")
RETURN_AFTER_SECONDS = int((SIGNUP_END - SIGNUP_START).astype(int)) * 86_400
CATALOGUE_UPDATED_AT = "2024-05-01T00:00:00Z"  # when the catalogue rows were last edited

FIRST_NAMES = np.array([
    "Amara", "Bjorn", "Chiara", "Dmitri", "Esperanza", "Farida", "Gustavo", "Hiroshi", "Ingrid", "Jovana",
    "Kwame", "Ludmila", "Mateus", "Nkechi", "Oksana", "Priyanka", "Quentin", "Rashida", "Soren", "Tatiana",
    "Ulrike", "Valentina", "Wojciech", "Ximena", "Yusuf", "Zainab",
])
LAST_NAMES = np.array([
    "Abernathy", "Bergstrom", "Castellanos", "Dabrowski", "Eriksen", "Fitzgerald", "Gallagher", "Hakimi",
    "Ivanova", "Jankowski", "Kowalczyk", "Lindqvist", "Montgomery", "Nakamura", "Okonkwo", "Petrakis",
    "Quintero", "Rasmussen", "Szymanski", "Takahashi", "Underwood", "Vasquez", "Whitfield", "Yamamoto",
])
DOMAINS = np.array(["example.com", "mail.example.org", "learner.example.net"])
COUNTRIES = np.array(["US", "IN", "BR", "DE", "GB", "NG", "EG", "CA", "FR", "MX", "ID", "PK"])
COUNTRY_P = np.array([0.30, 0.18, 0.08, 0.07, 0.07, 0.05, 0.05, 0.05, 0.04, 0.04, 0.04, 0.03])

SECTIONS = {
    "data_science": [
        "Introduction to Data Science", "Statistics Fundamentals", "Data Wrangling", "Exploratory Data Analysis",
        "Experiment Design", "Communicating Results", "Capstone",
    ],
    "data_engineering": [
        "Data Modeling", "Cloud Data Warehouses", "Data Lakes with Spark", "Data Pipelines with Airflow",
        "Streaming Data", "Data Quality", "Capstone",
    ],
    "machine_learning": [
        "Supervised Learning", "Model Evaluation", "Unsupervised Learning", "Deep Learning", "Deploying Models",
        "Reinforcement Learning", "Capstone",
    ],
}

NEGATIVE_THEMES = np.array([
    "the audio quality is poor",
    "the content feels outdated",
    "the instructions are confusing",
    "the project review took too long",
    "several links are broken",
    "the quizzes do not match the videos",
    "the workspace keeps crashing",
    "the explanations are too fast",
])
# some sections draw some themes more than others, so per-section shares differ
POSITIVE_THEMES = np.array([
    "the examples are clear and practical",
    "the mentor support is excellent",
    "the project was really useful",
    "the pacing feels right",
    "the reviewer feedback was helpful",
    "the videos are engaging",
])
NEGATIVE_OPENERS = np.array(["Unfortunately,", "Honestly,", "I am disappointed:", "Frustrating:", ""])
POSITIVE_OPENERS = np.array(["Great course:", "I liked it:", "Thanks!", "Well done,", ""])

CATEGORIES = np.array(["technical", "project", "content", "career", "account"])
CATEGORY_P = np.array([0.38, 0.27, 0.20, 0.09, 0.06])
PROMPTS = {
    "technical": (["How do I fix", "Why does my code fail in", "What causes this error in"], [0.5, 0.3, 0.2]),
    "project": (["Can you review my", "What does the rubric expect for", "How should I structure"], [0.45, 0.35, 0.2]),
    "content": (["Can you explain", "What is the difference in", "I do not understand"], [0.5, 0.2, 0.3]),
    "career": (["How can I prepare for jobs in", "Which skills matter most for", "Is my portfolio ready for"], [0.5, 0.3, 0.2]),
    "account": (["How do I reset my progress in", "Why can't I access", "When will my certificate for"], [0.4, 0.4, 0.2]),
}
GREETINGS = np.array(["", "", "", "Hi!", "Hello mentor.", "Hey there!", "Hi, this is {first}."])
ANSWERS = np.array([
    "have a look at the section notes and rerun the notebook.",
    "check the rubric again, the second criterion covers this.",
    "the error comes from a missing import; see the forum thread.",
    "good question! The lesson on this topic walks through an example.",
    "please restart the workspace, it was fixed yesterday.",
])


def _stable(*parts) -> int:
    return zlib.crc32("|".join(str(p) for p in parts).encode())


def _rng(seed: int, *parts) -> np.random.Generator:
    return np.random.default_rng([seed, *(_stable(p) for p in parts)])


def _iso(seconds: np.ndarray) -> np.ndarray:
    """Epoch seconds -> `YYYY-MM-DDTHH:MM:SSZ` (UTC), vectorised."""
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    return np.char.add(text.astype(str), "Z").astype(object)


def _pick(rng, values: np.ndarray, n: int, p=None) -> np.ndarray:
    return values[rng.choice(len(values), n, p=p)]


def _title(nanodegree: str) -> str:
    return nanodegree.replace("_", " ").title()


def month_range(end_month: str, months: int) -> list[str]:
    year, mon = parse_month(end_month)
    end = pd.Period(year=year, month=mon, freq="M")
    return [str(end - k) for k in range(months - 1, -1, -1)]


# --- users and enrolments -------------------------------------------------------------------------


def users(scale: float, seed: int = SEED) -> pd.DataFrame:
    n = max(40, int(round(FULL_USERS * scale)))
    rng = _rng(seed, "users")
    idx = np.arange(1, n + 1)
    first = _pick(rng, FIRST_NAMES, n)
    last = _pick(rng, LAST_NAMES, n)
    span = int((SIGNUP_END - SIGNUP_START).astype(int))
    signup = SIGNUP_START + rng.integers(0, span, n).astype("timedelta64[D]")
    email = pd.Series(first).str.lower() + "." + pd.Series(last).str.lower() + (idx % 97).astype(str) + "@" + _pick(rng, DOMAINS, n)
    return pd.DataFrame({
        "user_id": pd.Series(idx).map("u{:06d}".format),
        "first_name": first,
        "last_name": last,
        "email": email.values,
        "country": _pick(rng, COUNTRIES, n, COUNTRY_P),
        "signup_date": np.datetime_as_string(signup, unit="D"),
        "updated_at": np.char.add(np.datetime_as_string(signup, unit="D").astype(str), "T00:00:00Z"),
    })


def enrolments(people: pd.DataFrame, nanodegree: str, seed: int = SEED) -> dict[str, np.ndarray]:
    """Per user, for one nanodegree: enrolled?, first and last active second, satisfaction, pace."""
    rng = _rng(seed, "enrol", nanodegree)
    n_users = len(people)
    signup = people.signup_date.values.astype("datetime64[s]").astype(np.int64)
    enrolled = rng.random(n_users) < 0.45
    satisfaction = rng.beta(4.0, 2.0, n_users)
    start = signup + rng.integers(0, 60, n_users) * 86_400 + rng.integers(0, 86_400, n_users)
    # unhappy learners leave sooner
    lifetime_days = 20 + rng.gamma(2.0, 35.0 + 110.0 * satisfaction)
    return {
        "enrolled": enrolled,
        "start": start,
        "end": start + (lifetime_days * 86_400).astype(np.int64),
        "satisfaction": satisfaction,
        "sessions_per_month": rng.gamma(2.5, 2.6, n_users),
        "progress": rng.integers(0, 1_000, n_users),
    }


# --- catalogue --------------------------------------------------------------------------------------


def catalogue(nanodegree: str, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Projects (one per section) and videos (5-10 per section) of one nanodegree."""
    validate_nanodegree(nanodegree)
    rng = _rng(seed, "catalogue", nanodegree)
    titles = SECTIONS.get(nanodegree) or [f"{_title(nanodegree)} Part {k}" for k in range(1, 7)]
    projects, videos = [], []
    for s, title in enumerate(titles, start=1):
        section_id = f"{nanodegree}-s{s:02d}"
        projects.append((f"{nanodegree}-p{s:02d}", nanodegree, section_id, title, f"{title} Project", int(rng.integers(1, 4)), CATALOGUE_UPDATED_AT))
        for v in range(1, int(rng.integers(5, 11)) + 1):
            videos.append((
                f"{section_id}-v{v:02d}", nanodegree, section_id, title, f"{title}: Lesson {v}", v,
                int(rng.integers(120, 900)), CATALOGUE_UPDATED_AT,
            ))
    return (
        pd.DataFrame(projects, columns=DIM_FILES["projects_dim"].columns),
        pd.DataFrame(videos, columns=DIM_FILES["videos_dim"].columns),
    )


# --- one month of one nanodegree -------------------------------------------------------------------


def month_facts(nanodegree: str, month: str, scale: float, seed: int = SEED) -> dict[str, pd.DataFrame]:
    """The four fact tables of one nanodegree and month (a pure function of its arguments)."""
    validate_nanodegree(nanodegree)
    year, mon = parse_month(month)
    tag = f"{year:04d}{mon:02d}"
    people = users(scale, seed)
    enrol = enrolments(people, nanodegree, seed)
    projects, videos = catalogue(nanodegree, seed)
    rng = _rng(seed, "facts", nanodegree, tag)

    month_start = np.datetime64(f"{year:04d}-{mon:02d}-01", "s").astype(np.int64)
    month_end = (np.datetime64(f"{year:04d}-{mon:02d}", "M") + 1).astype("datetime64[s]").astype(np.int64)
    # the learner's latest round that started before the month ends (round 0 until a signup window has passed)
    shift = np.maximum(0, (month_end - 1 - enrol["start"]) // RETURN_AFTER_SECONDS) * RETURN_AFTER_SECONDS
    start, end = enrol["start"] + shift, enrol["end"] + shift
    lo = np.maximum(start, month_start)
    hi = np.minimum(end, month_end)
    active = np.flatnonzero(enrol["enrolled"] & (hi - lo > 3_600))
    lo, hi = lo[active], hi[active]
    last_month = end[active] <= month_end  # the learner leaves this month
    satisfaction = np.clip(enrol["satisfaction"][active] - 0.25 * last_month, 0, 1)
    months_in = ((month_start - start[active]) // (30 * 86_400)).clip(0)
    base_video = enrol["progress"][active] + months_in * 6
    n_videos = len(videos)
    section_of_video = videos.section_id.values
    project_of_section = dict(zip(projects.section_id, projects.project_id))

    out = {
        "video_log": _video_log(rng, nanodegree, tag, people, active, lo, hi, enrol["sessions_per_month"][active],
                                base_video, videos),
    }
    current_section = section_of_video[base_video % n_videos]

    # feedback: more likely (and less happy) in a learner's last month
    for kind in ("project_feedback", "section_feedback"):
        p = (0.22 if kind == "project_feedback" else 0.3) + 0.35 * last_month
        who = np.flatnonzero(rng.random(len(active)) < p)
        n = len(who)
        rating = np.clip(np.round(1 + 4 * satisfaction[who] + rng.normal(0, 0.8, n)), 1, 5).astype(int)
        ts = lo[who] + (rng.random(n) * (hi[who] - lo[who])).astype(np.int64)
        texts = _feedback_text(rng, rating, people.iloc[active[who]], current_section[who])
        frame = pd.DataFrame({
            "feedback_id": [f"{nanodegree}-{tag}-{kind[0]}f{i:06d}" for i in range(n)],
            "user_id": people.user_id.values[active[who]],
        })
        if kind == "project_feedback":
            frame["project_id"] = [project_of_section[s] for s in current_section[who]]
        else:
            frame["section_id"] = current_section[who]
        frame["submitted_at"] = _iso(ts)
        frame["rating"] = rating
        frame["feedback_text"] = texts
        out[kind] = frame.sort_values("submitted_at", kind="stable").reset_index(drop=True)

    out["mentor_activity"] = _mentor_activity(rng, nanodegree, tag, people, active, lo, hi, current_section, projects)
    return {stem: out[stem][list(FACT_FILES[stem].columns)] for stem in FACT_FILES}


def _feedback_text(rng, rating: np.ndarray, who: pd.DataFrame, sections: np.ndarray) -> np.ndarray:
    n = len(rating)
    # each section leans towards two themes, so themes differ between sections
    lean = np.array([_stable(s) % len(NEGATIVE_THEMES) for s in sections], dtype=int)
    theme_idx = np.where(rng.random(n) < 0.55, (lean + rng.integers(0, 2, n)) % len(NEGATIVE_THEMES), rng.integers(0, len(NEGATIVE_THEMES), n))
    negative = NEGATIVE_OPENERS[rng.integers(0, len(NEGATIVE_OPENERS), n)] + " " + NEGATIVE_THEMES[theme_idx] + "."
    also = rng.random(n) < 0.35
    second = NEGATIVE_THEMES[(theme_idx + 1 + rng.integers(0, 3, n)) % len(NEGATIVE_THEMES)]
    negative = np.where(also, negative + " Also, " + second + ".", negative)
    positive = POSITIVE_OPENERS[rng.integers(0, len(POSITIVE_OPENERS), n)] + " " + POSITIVE_THEMES[rng.integers(0, len(POSITIVE_THEMES), n)] + "."
    mixed = "Good content overall, but " + NEGATIVE_THEMES[theme_idx] + "."
    text = np.where(rating <= 2, negative, np.where(rating == 3, mixed, positive))
    text = np.char.strip(text.astype(str)).astype(object)
    text = np.array([t[0].upper() + t[1:] for t in text], dtype=object)
    # personal data, as real exports carry it
    email = rng.random(n) < 0.06
    sign = rng.random(n) < 0.04
    text[email] = text[email] + " Contact me at " + who.email.values[email] + "."
    text[sign] = text[sign] + " - " + who.first_name.values[sign] + " " + who.last_name.values[sign]
    return text


def _video_log(rng, nanodegree, tag, people, active, lo, hi, rate, base_video, videos) -> pd.DataFrame:
    cols = list(FACT_FILES["video_log"].columns)
    if not len(active):
        return pd.DataFrame(columns=cols)
    window = (hi - lo) / (30 * 86_400)
    n_sessions = rng.poisson(rate * window)
    s_user = np.repeat(np.arange(len(active)), n_sessions)
    n_s = len(s_user)
    s_start = lo[s_user] + (rng.random(n_s) * np.maximum(hi[s_user] - lo[s_user] - 1_800, 1)).astype(np.int64)
    order = np.lexsort((s_start, s_user))  # each learner's sessions in time order
    s_user, s_start = s_user[order], s_start[order]
    # slots: one video watched inside a session. A learner moves on through the lessons from slot to
    # slot; 20 % of slots replay the previous video, and a session sometimes starts a lesson or two back.
    n_slots = 1 + rng.poisson(1.8, n_s)
    slot_session = np.repeat(np.arange(n_s), n_slots)
    n_sl = len(slot_session)
    first_slot = np.r_[True, slot_session[1:] != slot_session[:-1]]
    slot_user = s_user[slot_session]
    first_of_user = np.r_[True, slot_user[1:] != slot_user[:-1]]
    step = (rng.random(n_sl) > 0.2).astype(np.int64)
    step = np.where(first_slot & (rng.random(n_sl) < 0.25), -rng.integers(1, 3, n_sl), step)
    csum = np.cumsum(step)
    pos = csum - csum[np.flatnonzero(first_of_user)][np.cumsum(first_of_user) - 1]
    video = (base_video[slot_user] + pos) % len(videos)
    duration = videos.duration_seconds.values[video]
    fraction = np.minimum(rng.beta(5.0, 1.5, n_sl), 1.0)
    completed = fraction >= 0.9
    watched = np.where(completed, duration, np.round(duration * fraction)).astype(np.int64)
    paused = rng.random(n_sl) < 0.35
    first_part = np.where(paused, np.round(watched * rng.uniform(0.2, 0.8, n_sl)), 0).astype(np.int64)
    pause_len = np.where(paused, rng.integers(10, 600, n_sl), 0)
    gap = np.where(rng.random(n_sl) < 0.05, rng.integers(600, 1_800, n_sl), rng.integers(3, 240, n_sl))
    elapsed = watched + pause_len + gap
    run = np.cumsum(elapsed) - elapsed
    slot_start = s_start[slot_session] + run - run[np.flatnonzero(first_slot)][np.cumsum(first_slot) - 1]

    # events: play [pause play] then complete (finished) or pause (left)
    n_events = np.where(paused, 4, 2)
    e_slot = np.repeat(np.arange(n_sl), n_events)
    e_first = np.r_[True, e_slot[1:] != e_slot[:-1]]
    k = np.arange(len(e_slot)) - np.flatnonzero(e_first)[np.cumsum(e_first) - 1]
    last = k == n_events[e_slot] - 1
    p_, fp, pl, w = paused[e_slot], first_part[e_slot], pause_len[e_slot], watched[e_slot]
    ts = slot_start[e_slot] + np.select([k == 0, p_ & (k == 1), p_ & (k == 2)], [0, fp, fp + pl], default=w + pl)
    etype = np.where(last, np.where(completed[e_slot], "complete", "pause"), np.where(p_ & (k == 1), "pause", "play"))
    seconds = np.select([last, p_ & (k == 1)], [w - fp, fp], default=0)
    n_ev = len(e_slot)
    frame = pd.DataFrame({
        "event_id": [f"{nanodegree}-{tag}-e{i:07d}" for i in range(n_ev)],
        "user_id": people.user_id.values[active[s_user[slot_session[e_slot]]]],
        "video_id": videos.video_id.values[video[e_slot]],
        "ts": ts,
        "event_type": etype,
        "seconds_watched": seconds,
    })
    # the export repeats a few events verbatim
    dup = frame.iloc[np.flatnonzero(rng.random(n_ev) < 0.004)]
    frame = pd.concat([frame, dup]).sort_values(["ts", "event_id"], kind="stable")
    frame["event_ts"] = _iso(frame.ts.values)
    return frame[cols].reset_index(drop=True)


def _mentor_activity(rng, nanodegree, tag, people, active, lo, hi, current_section, projects) -> pd.DataFrame:
    asks = np.where(rng.random(len(active)) < 0.3, 1 + rng.poisson(0.6, len(active)), 0)
    q_user = np.repeat(np.arange(len(active)), asks)
    n = len(q_user)
    category = _pick(rng, CATEGORIES, n, CATEGORY_P)
    stem = np.empty(n, dtype=object)
    for cat, (stems, p) in PROMPTS.items():
        sel = category == cat
        stem[sel] = np.array(stems, dtype=object)[rng.choice(len(stems), int(sel.sum()), p=p)]
    titles = dict(zip(projects.section_id, projects.section_title))
    topic = np.array([titles[s].lower() for s in current_section[q_user]], dtype=object)
    first = people.first_name.values[active[q_user]]
    greeting = _pick(rng, GREETINGS, n).astype(object)
    greeting = np.array([g.format(first=f) for g, f in zip(greeting, first)], dtype=object)
    question = np.where(greeting == "", "", greeting + " ") + stem + " " + topic + "?"
    email = rng.random(n) < 0.04
    question[email] = question[email] + " You can email me at " + people.email.values[active[q_user]][email] + "."
    asked = lo[q_user] + (rng.random(n) * (hi[q_user] - lo[q_user])).astype(np.int64)
    answered = rng.random(n) < 0.93
    delay = (rng.lognormal(np.log(180), 0.9, n) * 60).astype(np.int64)
    answer = "Hi " + first + ", " + _pick(rng, ANSWERS, n)
    frame = pd.DataFrame({
        "question_id": [f"{nanodegree}-{tag}-q{i:06d}" for i in range(n)],
        "user_id": people.user_id.values[active[q_user]],
        "mentor_id": [f"{nanodegree}-m{m:02d}" for m in rng.integers(1, 21, n)],
        "category": category,
        "question_text": question,
        "asked_at": _iso(asked),
        "answer_text": np.where(answered, answer, ""),
        "answered_at": np.where(answered, _iso(asked + delay), ""),
    })
    return frame.sort_values("asked_at", kind="stable").reset_index(drop=True)


# --- writing ---------------------------------------------------------------------------------------


def _write(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    df.to_csv(tmp, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    tmp.replace(path)


def _merge_dimension(path: Path, new: pd.DataFrame, key: str) -> pd.DataFrame:
    if path.exists():
        old = pd.read_csv(path, dtype=str, keep_default_na=False)
        new = pd.concat([old, new.astype(str)]).drop_duplicates(key, keep="last")
    return new.sort_values(key).reset_index(drop=True)


def write_dimensions(out: str | Path, nanodegrees: Iterable[str], scale: float, seed: int = SEED) -> dict[str, int]:
    folder = Path(out) / DIMENSION_FOLDER
    catalogues = [catalogue(nd, seed) for nd in nanodegrees]
    frames = {
        "users_dim": users(scale, seed),
        "projects_dim": pd.concat([c[0] for c in catalogues]),
        "videos_dim": pd.concat([c[1] for c in catalogues]),
    }
    counts = {}
    for stem, frame in frames.items():
        merged = _merge_dimension(folder / f"{stem}.csv", frame, DIM_FILES[stem].source_key[0])
        _write(merged, folder / f"{stem}.csv")
        counts[stem] = len(merged)
    return counts


def write_month(out: str | Path, nanodegree: str, month: str, scale: float, seed: int = SEED) -> dict[str, int]:
    year, mon = parse_month(month)
    folder = Path(out) / validate_nanodegree(nanodegree) / f"{year:04d}" / f"{mon:02d}"
    counts = {}
    for stem, frame in month_facts(nanodegree, month, scale, seed).items():
        _write(frame, folder / f"{stem}.csv")
        counts[stem] = len(frame)
    return counts


def generate(
    out_dir: str | Path,
    scale: float = 0.01,
    nanodegrees: Iterable[str] = DEFAULT_NANODEGREES,
    months: Iterable[str] | None = None,
    seed: int = SEED,
) -> dict[str, int]:
    """Write the dimension files and every (nanodegree, month) folder; returns rows written per table."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    nanodegrees = [validate_nanodegree(nd) for nd in nanodegrees]
    months = list(months) if months is not None else default_months()
    refuse_future(months)
    counts = write_dimensions(out_dir, nanodegrees, scale, seed)
    for nd in nanodegrees:
        for month in months:
            for stem, n in write_month(out_dir, nd, month, scale, seed).items():
                counts[stem] = counts.get(stem, 0) + n
    counts["month_folders"] = len(nanodegrees) * len(months)
    return counts


def default_months(months: int = DEFAULT_MONTHS, now: datetime | None = None) -> list[str]:
    """`months` months ending with the last complete month (by the platform clock)."""
    return month_range(last_complete_month(now), months)


def refuse_future(months: Iterable[str], now: datetime | None = None) -> None:
    """A synthetic source never writes the future: a month is landed only once it has ended."""
    last = last_complete_month(now)
    for month in months:
        year, mon = parse_month(month)
        if f"{year:04d}-{mon:02d}" > last:
            ends = f"{year + mon // 12:04d}-{mon % 12 + 1:02d}-01"
            raise ValueError(f"month {year:04d}-{mon:02d} has not ended yet: it ends on {ends} 00:00 UTC; nothing written")


def add_arguments(parser) -> None:
    parser.add_argument("--scale", type=float, default=0.01, help="1.0 = 50,000 users")
    parser.add_argument("--out", required=True, help="landing root (folders <nanodegree>/<YYYY>/<MM>/ are written in it)")
    parser.add_argument("--month", help="only this month (YYYY-MM), once it has ended; default: the --months months ending with the last complete month")
    parser.add_argument("--months", type=int, default=DEFAULT_MONTHS, help="how many months, ending at --end-month")
    parser.add_argument("--end-month", default=None, help="last month (YYYY-MM); default: the last complete month")
    parser.add_argument("--nanodegree", action="append", help="only this nanodegree (repeatable; a new name adds one)")
    parser.add_argument("--seed", type=int, default=SEED)


def generate_from_args(args) -> str:
    months = [args.month] if args.month else month_range(args.end_month or last_complete_month(), args.months)
    refuse_future(months)
    nanodegrees = args.nanodegree or list(DEFAULT_NANODEGREES)
    counts = generate(args.out, scale=args.scale, nanodegrees=nanodegrees, months=months, seed=args.seed)
    return ", ".join(f"{name}: {n:,}" for name, n in counts.items())
