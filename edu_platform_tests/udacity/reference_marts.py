"""The course marts recomputed in plain pandas from the landed CSV files, independently of the SQL."""

import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

GAP_SECONDS = 15 * 60
GREETING = re.compile(r"^\s*(hi|hello|hey)\b[^.!?]*[.!?]\s*", re.IGNORECASE)


def ratio(numerator, denominator, places: int) -> list[float]:
    """numerator / denominator rounded half away from zero, as PostgreSQL's round(numeric) does."""
    quantum = Decimal(1).scaleb(-places)
    return [
        float((Decimal(int(n)) / Decimal(int(d))).quantize(quantum, rounding=ROUND_HALF_UP))
        for n, d in zip(numerator, denominator)
    ]


def landed_facts(root: Path, stem: str) -> pd.DataFrame:
    """Every `<nanodegree>/<YYYY>/<MM>/<stem>.csv` under root, with its nanodegree and month, deduplicated."""
    frames = []
    for path in sorted(Path(root).glob(f"*/[0-9][0-9][0-9][0-9]/[0-9][0-9]/{stem}.csv")):
        nanodegree, year, month = path.parts[-4:-1]
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frames.append(frame.assign(nanodegree=nanodegree, month=f"{year}-{month}-01"))
    frame = pd.concat(frames, ignore_index=True)
    key = {"video_log": "event_id", "mentor_activity": "question_id"}.get(stem, "feedback_id")
    return frame.drop_duplicates(key).reset_index(drop=True)


def dimension(root: Path, stem: str) -> pd.DataFrame:
    return pd.read_csv(Path(root) / "dimensional_tables" / f"{stem}.csv", dtype=str, keep_default_na=False)


def _events(root) -> pd.DataFrame:
    events = landed_facts(root, "video_log")
    events["ts"] = pd.to_datetime(events.event_ts, utc=True)
    return events


def video_replays(root) -> pd.DataFrame:
    """Views (a play not resuming a pause of the same video) per nanodegree, month, video."""
    events = _events(root).sort_values(["nanodegree", "month", "user_id", "ts", "event_id"], kind="stable")
    group = events.groupby(["nanodegree", "month", "user_id"], sort=False)
    prev_type, prev_video = group.event_type.shift(), group.video_id.shift()
    starts = events[(events.event_type == "play") & ~((prev_type == "pause") & (prev_video == events.video_id))]
    per_viewer = starts.groupby(["nanodegree", "month", "video_id", "user_id"]).size().rename("views").reset_index()
    per_video = per_viewer.groupby(["nanodegree", "month", "video_id"]).agg(
        viewers=("user_id", "size"), views=("views", "sum"), max_views_by_one_viewer=("views", "max")
    ).reset_index()
    per_video["replays"] = per_video.views - per_video.viewers
    per_video["views_per_viewer"] = ratio(per_video.views, per_video.viewers, 3)
    per_video["replay_rank"] = 0
    for _, idx in per_video.groupby(["nanodegree", "month"]).groups.items():
        part = per_video.loc[idx]
        ordered = sorted(zip(-part.views_per_viewer, -part.views, part.index))
        rank, previous = 0, None
        for position, (a, b, i) in enumerate(ordered, start=1):
            if (a, b) != previous:
                rank, previous = position, (a, b)
            per_video.loc[i, "replay_rank"] = rank
    return per_video


def negative_share(root) -> pd.DataFrame:
    projects = dimension(root, "projects_dim")[["project_id", "section_id"]]
    pf = landed_facts(root, "project_feedback").merge(projects, on="project_id", how="left").assign(kind="project")
    sf = landed_facts(root, "section_feedback").assign(kind="section")
    feedback = pd.concat([pf, sf], ignore_index=True)
    feedback["negative"] = feedback.rating.astype(int) <= 2
    out = feedback.groupby(["nanodegree", "section_id", "month"]).agg(
        feedback=("negative", "size"), negative_feedback=("negative", "sum")
    ).reset_index()
    out["negative_share"] = ratio(out.negative_feedback, out.feedback, 4)
    return out


def question_prompt(text: str, words: int = 3):
    stripped = GREETING.sub("", text, count=1)
    cleaned = re.sub(r"[^a-z' ]+", " ", stripped.lower()).strip().split()
    return " ".join(cleaned[:words]) or None


def mentor_prompts(root) -> pd.DataFrame:
    questions = landed_facts(root, "mentor_activity")
    questions["prompt"] = questions.question_text.map(question_prompt)
    questions = questions[questions.prompt.notna()]
    out = questions.groupby(["category", "prompt"]).agg(
        questions=("question_id", "size"), learners=("user_id", "nunique")
    ).reset_index()
    out["share_of_category"] = ratio(out.questions, out.groupby("category").questions.transform("sum"), 4)
    out = out.sort_values(["category", "questions", "prompt"], ascending=[True, False, True], kind="stable")
    out["prompt_rank"] = out.groupby("category").cumcount() + 1
    return out


def churn_after_negative_feedback(root) -> pd.DataFrame:
    feedback = pd.concat(
        [landed_facts(root, "project_feedback"), landed_facts(root, "section_feedback")], ignore_index=True
    )
    feedback["ts"] = pd.to_datetime(feedback.submitted_at, utc=True)
    feedback["negative"] = feedback.rating.astype(int) <= 2
    events = _events(root)
    observed_until = events.groupby("nanodegree").ts.max()
    rows = []
    for (user, nanodegree), group in feedback.groupby(["user_id", "nanodegree"]):
        negative = group[group.negative]
        reference = negative.ts.min() if len(negative) else group.ts.min()
        if reference + pd.Timedelta(days=30) > observed_until[nanodegree]:
            continue
        mine = events[(events.user_id == user) & (events.nanodegree == nanodegree)]
        active = ((mine.ts > reference) & (mine.ts <= reference + pd.Timedelta(days=30))).any()
        rows.append((nanodegree, "negative_feedback" if len(negative) else "other_feedback", not active))
    frame = pd.DataFrame(rows, columns=["nanodegree", "learner_group", "churned"])
    out = frame.groupby(["nanodegree", "learner_group"]).agg(learners=("churned", "size"), churned=("churned", "sum")).reset_index()
    out["churn_share"] = ratio(out.churned, out.learners, 4)
    return out


def sessionize(events: pd.DataFrame) -> pd.DataFrame:
    """Sessions from events with columns user_id, nanodegree, video_id, event_id, ts, event_type."""
    rows = []
    ordered = events.sort_values(["user_id", "ts", "event_id"], kind="stable")
    for user, group in ordered.groupby("user_id", sort=False):
        current = None
        for event in group.itertuples():
            if current is None or (event.ts - current["end"]).total_seconds() > GAP_SECONDS:
                if current:
                    rows.append(current)
                current = {"user_id": user, "nanodegree": event.nanodegree, "start": event.ts, "end": event.ts,
                           "events": 0, "videos": set(), "completed": False}
            current["end"] = event.ts
            current["events"] += 1
            current["videos"].add(event.video_id)
            current["completed"] |= event.event_type == "complete"
        rows.append(current)
    out = pd.DataFrame(rows)
    out["videos_touched"] = out.videos.map(len)
    out["duration_seconds"] = (out.end - out.start).dt.total_seconds().astype(int)
    out["session_date"] = out.start.dt.date
    return out.drop(columns="videos")


def daily_sessions(root) -> pd.DataFrame:
    sessions = sessionize(_events(root))
    out = sessions.groupby(["session_date", "nanodegree"]).agg(
        sessions=("user_id", "size"), learners=("user_id", "nunique"), completed_sessions=("completed", "sum")
    ).reset_index()
    out["completion_rate"] = ratio(out.completed_sessions, out.sessions, 4)
    return out


def negative_documents_with(root, words: set[str]) -> dict[tuple[str, str], int]:
    """Negative feedback texts (per nanodegree, month) containing any of `words` (sentences with an e-mail removed)."""
    feedback = pd.concat(
        [landed_facts(root, "project_feedback"), landed_facts(root, "section_feedback")], ignore_index=True
    )
    feedback = feedback[feedback.rating.astype(int) <= 2]
    without_contact = feedback.feedback_text.map(lambda t: re.sub(r"[^.!?]*\S+@\S+[^.!?]*[.!?]?", " ", t))
    tokens = without_contact.map(lambda t: set(re.findall(r"[a-z]+", t.lower())))
    hit = tokens.map(lambda found: bool(found & words))
    return feedback[hit].groupby(["nanodegree", "month"]).size().to_dict()
