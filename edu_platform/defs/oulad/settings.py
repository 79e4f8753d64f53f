"""OULAD's published files and what each promises, apart from the loading logic."""

import os
from dataclasses import replace

from edu_platform.lib.checks import TableContract
from edu_platform.lib.settings import landing_dir

SOURCE = "oulad"
CADENCE = "monthly"  # how often new data lands (freshness checks)
OWNER = "team:learning-analytics"  # who answers for it (shown on every asset)
DEFAULT_SCALE = 0.02

# file stem as published -> (bronze table, published columns in order)
FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "courses": ("courses", ("code_module", "code_presentation", "module_presentation_length")),
    "assessments": (
        "assessments",
        ("code_module", "code_presentation", "id_assessment", "assessment_type", "date", "weight"),
    ),
    "vle": ("vle", ("id_site", "code_module", "code_presentation", "activity_type", "week_from", "week_to")),
    "studentInfo": (
        "student_info",
        (
            "code_module", "code_presentation", "id_student", "gender", "region", "highest_education",
            "imd_band", "age_band", "num_of_prev_attempts", "studied_credits", "disability", "final_result",
        ),
    ),
    "studentRegistration": (
        "student_registration",
        ("code_module", "code_presentation", "id_student", "date_registration", "date_unregistration"),
    ),
    "studentAssessment": (
        "student_assessment",
        ("id_assessment", "id_student", "date_submitted", "is_banked", "score"),
    ),
    "studentVle": (
        "student_vle",
        ("code_module", "code_presentation", "id_student", "id_site", "date", "sum_click"),
    ),
}

PRESENTATION = ("code_module", "code_presentation")

# bronze table -> what a row is (shown as the asset's description in the Dagster UI, with its key and cadence)
DESCRIPTIONS: dict[str, str] = {
    "courses": "OULAD `courses.csv` as published: one row per module presentation (e.g. AAA 2013J), with its length in days.",
    "assessments": "OULAD `assessments.csv`: one row per assessment (TMA, CMA or Exam) of a presentation, its due day"
    " offset (`?` when the exam date is unpublished) and weight.",
    "vle": "OULAD `vle.csv`: one row per VLE site (a page, resource, quiz...) of a presentation, with its activity type"
    " and planned weeks.",
    "student_info": "OULAD `studentInfo.csv`: one row per student and presentation: demographics (gender, region,"
    " education, IMD band, age band, disability), prior attempts, credits and the final result.",
    "student_registration": "OULAD `studentRegistration.csv`: one row per student and presentation: registration day"
    " offset and, for a withdrawal, the unregistration day offset.",
    "student_assessment": "OULAD `studentAssessment.csv`: one row per submission (a non-submission has no row): day"
    " submitted, banked flag and score (below 40 is a fail).",
    "student_vle": "OULAD `studentVle.csv`: click rows (student, site, day offset, clicks). No key: one student, site"
    " and day repeats over several rows, summed in gold.",
}

_CONTRACTS = [
    TableContract("courses", keys=PRESENTATION, numeric=("module_presentation_length",)),
    TableContract("assessments", keys=("id_assessment",), required=PRESENTATION, numeric=("id_assessment", "date", "weight")),
    TableContract("vle", keys=("id_site",), required=PRESENTATION, numeric=("id_site", "week_from", "week_to")),
    TableContract(
        "student_info",
        keys=PRESENTATION + ("id_student",),
        required=("final_result",),
        numeric=("id_student", "num_of_prev_attempts", "studied_credits"),
    ),
    TableContract(
        "student_registration",
        keys=PRESENTATION + ("id_student",),
        numeric=("id_student", "date_registration", "date_unregistration"),
    ),
    TableContract(
        "student_assessment",
        keys=("id_assessment", "id_student"),
        numeric=("id_assessment", "id_student", "date_submitted", "is_banked", "score"),
    ),
    # studentVle has no key: one (student, site, date) repeats on several rows and their clicks add up.
    TableContract(
        "student_vle",
        required=PRESENTATION + ("id_student", "id_site", "date", "sum_click"),
        numeric=("id_student", "id_site", "date", "sum_click"),
    ),
]
_COLUMNS = {table: columns for table, columns in FILES.values()}
CONTRACTS = [replace(c, columns=_COLUMNS[c.table]) for c in _CONTRACTS]


def source_url() -> str:
    """OULAD_SOURCE (a folder or fsspec URL), else the synthetic landing folder."""
    return os.environ.get("OULAD_SOURCE") or str(landing_dir(SOURCE))


def configured() -> bool:
    return bool(os.environ.get("OULAD_SOURCE"))
