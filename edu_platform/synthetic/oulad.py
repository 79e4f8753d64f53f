"""Deterministic synthetic OULAD: the seven files in the published format, at any scale.

Scale 1.0 gives the real sizes (32,593 registrations, 173,912 submissions, 10,655,280 studentVle rows).
The published quirks are reproduced: every field double-quoted, `?` for missing values, day offsets
from the presentation start, and studentVle rows that repeat one (student, site, date) key.
"""

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from edu_platform.defs.oulad.tables import FILES

SEED = 20170171
REAL_REGISTRATIONS = 32_593
PRESENTATIONS = {
    "AAA": ["2013J", "2014J"],
    "BBB": ["2013B", "2013J", "2014B", "2014J"],
    "CCC": ["2014B", "2014J"],
    "DDD": ["2013B", "2013J", "2014B", "2014J"],
    "EEE": ["2013J", "2014B", "2014J"],
    "FFF": ["2013B", "2013J", "2014B", "2014J"],
    "GGG": ["2013J", "2014B", "2014J"],
}
RESULTS = np.array(["Pass", "Withdrawn", "Fail", "Distinction"])
RESULT_P = np.array([0.379, 0.312, 0.216, 0.093])
# per outcome: active-day share, clicks per row, submission probability, mean score
ENGAGEMENT = {
    "Pass": (0.32, 3.9, 0.93, 74.0),
    "Withdrawn": (0.16, 3.2, 0.55, 62.0),
    "Fail": (0.17, 3.0, 0.62, 55.0),
    "Distinction": (0.45, 4.6, 0.98, 89.0),
}
ACTIVITY_TYPES = np.array(
    ["resource", "oucontent", "url", "homepage", "subpage", "forumng", "quiz", "glossary", "ouwiki", "oucollaborate"]
)
ACTIVITY_P = np.array([0.42, 0.16, 0.14, 0.04, 0.11, 0.06, 0.04, 0.01, 0.01, 0.01])
REGIONS = [
    "East Anglian Region", "Scotland", "North Western Region", "South East Region", "West Midlands Region",
    "Wales", "North Region", "South Region", "Ireland", "South West Region", "East Midlands Region",
    "Yorkshire Region", "London Region",
]
EDUCATION = ["HE Qualification", "A Level or Equivalent", "Lower Than A Level", "Post Graduate Qualification", "No Formal quals"]
EDUCATION_P = [0.15, 0.43, 0.40, 0.01, 0.01]
IMD = ["0-10%", "10-20", "20-30%", "30-40%", "40-50%", "50-60%", "60-70%", "70-80%", "80-90%", "90-100%"]
AGES = ["0-35", "35-55", "55<="]
AGE_P = [0.70, 0.29, 0.01]
MISSING = "?"
VLE_ROWS_PER_ACTIVE_DAY = 5.74  # calibrated: 327 studentVle rows per registration, as published


def _write(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, quoting=csv.QUOTE_ALL, lineterminator="\n")


def _text(values: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    out = values.astype(str).astype(object)
    if missing is not None:
        out[missing] = MISSING
    return out


def generate(out_dir: str | Path, scale: float = 0.02, seed: int = SEED) -> dict[str, int]:
    """Write the seven OULAD files into `out_dir`; returns rows written per file."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    counts: dict[str, int] = {}

    courses = pd.DataFrame(
        [(m, p) for m, ps in PRESENTATIONS.items() for p in ps], columns=["code_module", "code_presentation"]
    )
    courses["module_presentation_length"] = rng.integers(234, 270, len(courses))
    _write(courses, out / "courses.csv")
    counts["courses"] = len(courses)

    # assessments: ~9 per presentation, the last one an exam whose date is sometimes unpublished
    rows, next_id = [], 1752
    for c in courses.itertuples():
        n = int(rng.integers(6, 13))
        dates = np.sort(rng.choice(np.arange(15, c.module_presentation_length - 10), n - 1, replace=False))
        kinds = rng.choice(["TMA", "CMA"], n - 1, p=[0.55, 0.45])
        weights = np.where(kinds == "TMA", 100 // max(1, (kinds == "TMA").sum()), 0)
        for kind, date, weight in zip(kinds, dates, weights):
            rows.append((c.code_module, c.code_presentation, next_id, kind, str(date), str(weight)))
            next_id += 1
        exam_date = MISSING if rng.random() < 0.4 else str(c.module_presentation_length - 2)
        rows.append((c.code_module, c.code_presentation, next_id, "Exam", exam_date, "100"))
        next_id += 1
    assessments = pd.DataFrame(rows, columns=FILES["assessments"].columns)
    _write(assessments, out / "assessments.csv")
    counts["assessments"] = len(assessments)

    # VLE sites: ~289 per presentation at full scale, never fewer than 12
    per_course = max(12, int(round(6364 / len(courses) * min(1.0, scale * 5))))
    n_sites = per_course * len(courses)
    vle = pd.DataFrame(
        {
            "id_site": np.arange(546_000, 546_000 + n_sites),
            "code_module": np.repeat(courses.code_module.values, per_course),
            "code_presentation": np.repeat(courses.code_presentation.values, per_course),
            "activity_type": rng.choice(ACTIVITY_TYPES, n_sites, p=ACTIVITY_P),
        }
    )
    has_weeks = rng.random(n_sites) < 0.18
    week_from = rng.integers(0, 30, n_sites)
    vle["week_from"] = _text(week_from, ~has_weeks)
    vle["week_to"] = _text(week_from + rng.integers(0, 3, n_sites), ~has_weeks)
    _write(vle, out / "vle.csv")
    counts["vle"] = n_sites

    # registrations: about 12 % of students take a second module-presentation
    n_reg = max(len(courses) * 4, int(round(REAL_REGISTRATIONS * scale)))
    n_students = max(1, int(round(n_reg * 0.883)))
    student_ids = rng.choice(np.arange(6_000, 2_700_000), n_students, replace=False)
    course_idx = np.concatenate([np.arange(len(courses)), rng.integers(0, len(courses), n_reg - len(courses))])
    student_idx = np.concatenate([np.arange(n_students), rng.integers(0, n_students, n_reg - n_students)])
    reg = pd.DataFrame({"course": course_idx, "student": student_ids[student_idx]})
    reg = reg.drop_duplicates(["course", "student"]).reset_index(drop=True)
    n_reg = len(reg)
    reg["code_module"] = courses.code_module.values[reg.course]
    reg["code_presentation"] = courses.code_presentation.values[reg.course]
    length = courses.module_presentation_length.values[reg.course]
    result = rng.choice(RESULTS, n_reg, p=RESULT_P)
    reg["final_result"] = result

    # studentInfo
    info = pd.DataFrame(
        {
            "code_module": reg.code_module,
            "code_presentation": reg.code_presentation,
            "id_student": reg.student,
            "gender": rng.choice(["M", "F"], n_reg, p=[0.55, 0.45]),
            "region": rng.choice(REGIONS, n_reg),
            "highest_education": rng.choice(EDUCATION, n_reg, p=EDUCATION_P),
            "imd_band": _text(rng.choice(np.array(IMD), n_reg), rng.random(n_reg) < 0.034),
            "age_band": rng.choice(AGES, n_reg, p=AGE_P),
            "num_of_prev_attempts": rng.choice([0, 1, 2, 3], n_reg, p=[0.87, 0.10, 0.02, 0.01]),
            "studied_credits": rng.choice([30, 60, 90, 120, 150, 240], n_reg, p=[0.15, 0.55, 0.12, 0.12, 0.03, 0.03]),
            "disability": rng.choice(["N", "Y"], n_reg, p=[0.9, 0.1]),
            "final_result": result,
        }
    )
    _write(info, out / "studentInfo.csv")
    counts["studentInfo"] = n_reg

    # studentRegistration: withdrawn students carry an unregistration day (a few unrecorded)
    withdrawn = result == "Withdrawn"
    date_reg = -rng.gamma(2.0, 35.0, n_reg).astype(int)
    before_start = rng.random(n_reg) < 0.35
    unreg = np.where(before_start, -rng.integers(1, 30, n_reg), (rng.beta(1.3, 2.2, n_reg) * length).astype(int))
    registration = pd.DataFrame(
        {
            "code_module": reg.code_module,
            "code_presentation": reg.code_presentation,
            "id_student": reg.student,
            "date_registration": _text(date_reg, rng.random(n_reg) < 0.0014),
            "date_unregistration": _text(unreg, ~withdrawn | (rng.random(n_reg) < 0.02)),
        }
    )
    _write(registration, out / "studentRegistration.csv")
    counts["studentRegistration"] = n_reg
    active_until = np.where(withdrawn, np.maximum(unreg, 0), length)

    # studentAssessment: a row per submission only; nothing after withdrawal
    asm = assessments.assign(course=assessments.groupby(["code_module", "code_presentation"]).ngroup())
    course_key = courses.code_module + "|" + courses.code_presentation
    asm_course = (asm.code_module + "|" + asm.code_presentation).map({k: i for i, k in enumerate(course_key)})
    asm_by_course = {c: g for c, g in assessments.assign(c=asm_course.values).groupby("c")}
    sub_rows = []
    for outcome, (_, _, p_submit, mean_score) in ENGAGEMENT.items():
        idx = np.flatnonzero(result == outcome)
        for c, group in asm_by_course.items():
            sel = idx[reg.course.values[idx] == c]
            if not len(sel):
                continue
            due = pd.to_numeric(group.date, errors="coerce").fillna(length[sel].max() - 2).values
            submit = (rng.random((len(sel), len(group))) < p_submit) & (due[None, :] <= active_until[sel][:, None] + 5)
            r, a = np.nonzero(submit)
            if not len(r):
                continue
            score = np.clip(rng.normal(mean_score, 14, len(r)), 0, 100).round().astype(int)
            sub_rows.append(
                pd.DataFrame(
                    {
                        "id_assessment": group.id_assessment.values[a],
                        "id_student": reg.student.values[sel][r],
                        "date_submitted": (due[a] + rng.integers(-6, 4, len(r))).astype(int),
                        "is_banked": (rng.random(len(r)) < 0.011).astype(int),
                        "score": _text(score, rng.random(len(r)) < 0.001),
                    }
                )
            )
    submissions = pd.concat(sub_rows, ignore_index=True).sort_values(["id_assessment", "id_student"])
    _write(submissions, out / "studentAssessment.csv")
    counts["studentAssessment"] = len(submissions)

    # studentVle: ~327 rows per registration at full scale; 26 % of rows repeat a key
    counts["studentVle"] = _write_student_vle(out / "studentVle.csv", rng, reg, result, length, active_until, per_course)
    return counts


def _write_student_vle(path, rng, reg, result, length, active_until, per_course) -> int:
    total = 0
    header = True
    days_span = np.maximum(active_until + 10, 1)
    share = np.array([ENGAGEMENT[r][0] for r in result])
    clicks_mean = np.array([ENGAGEMENT[r][1] for r in result])
    n_rows = np.maximum(1, rng.poisson(share * days_span * VLE_ROWS_PER_ACTIVE_DAY)).astype(int)
    site_base = 546_000 + reg.course.values * per_course
    with open(path, "w", newline="") as f:
        for start in range(0, len(reg), 2_000):
            sl = slice(start, start + 2_000)
            counts = n_rows[sl]
            owner = np.repeat(np.arange(start, start + len(counts)), counts)
            n = len(owner)
            first = rng.random(n) < 0.79
            day = (-10 + (rng.random(n) * days_span[owner])).astype(int)
            site = site_base[owner] + rng.integers(0, per_course, n)
            # repeats: copy the (site, day) of the previous row of the same student
            prev = np.arange(n) - 1
            repeat = (~first) & (prev >= 0) & (owner == np.roll(owner, 1))
            day = np.where(repeat, np.roll(day, 1), day)
            site = np.where(repeat, np.roll(site, 1), site)
            frame = pd.DataFrame(
                {
                    "code_module": reg.code_module.values[owner],
                    "code_presentation": reg.code_presentation.values[owner],
                    "id_student": reg.student.values[owner],
                    "id_site": site,
                    "date": day,
                    "sum_click": np.maximum(1, rng.geometric(1 / clicks_mean[owner])),
                }
            )
            frame.to_csv(f, index=False, header=header, quoting=csv.QUOTE_ALL, lineterminator="\n")
            header = False
            total += n
    return total


def add_arguments(parser) -> None:
    parser.add_argument("--scale", type=float, default=0.02, help="1.0 = the published sizes")
    parser.add_argument("--out", required=True, help="folder to write the seven CSV files into")
    parser.add_argument("--seed", type=int, default=SEED)


def generate_from_args(args) -> str:
    counts = generate(args.out, scale=args.scale, seed=args.seed)
    return ", ".join(f"{name}: {n:,}" for name, n in counts.items())
