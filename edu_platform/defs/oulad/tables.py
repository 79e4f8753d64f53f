"""OULAD's seven published files: each one's single declaration (columns as published, key, checks, description).
Each number column's type is the one its silver model casts it to (`raw_int`: bigint, `raw_integer`: integer,
`raw_numeric`: numeric), so bronze's check rejects what silver's cast would."""

from edu_platform.defs.oulad.settings import CADENCE, SOURCE
from edu_platform.lib.tables import BronzeTable, by_origin

PRESENTATION = ("code_module", "code_presentation")


def _published(name: str, **declaration) -> BronzeTable:
    """A published OULAD file, reloaded whole with each monthly snapshot."""
    return BronzeTable(SOURCE, name, cadence=CADENCE, **declaration)


TABLES: tuple[BronzeTable, ...] = (
    _published(
        "courses",
        columns=("code_module", "code_presentation", "module_presentation_length"),
        key=PRESENTATION, numeric={"module_presentation_length": "integer"},
        description="OULAD `courses.csv` as published: one row per module presentation (e.g. AAA 2013J), with its length in days.",
    ),
    _published(
        "assessments",
        columns=("code_module", "code_presentation", "id_assessment", "assessment_type", "date", "weight"),
        key=("id_assessment",), required=PRESENTATION, numeric={"id_assessment": "bigint", "date": "integer", "weight": "numeric"},
        description="OULAD `assessments.csv`: one row per assessment (TMA, CMA or Exam) of a presentation, its due day"
        " offset (`?` when the exam date is unpublished) and weight.",
    ),
    _published(
        "vle",
        columns=("id_site", "code_module", "code_presentation", "activity_type", "week_from", "week_to"),
        key=("id_site",), required=PRESENTATION, numeric={"id_site": "bigint", "week_from": "integer", "week_to": "integer"},
        description="OULAD `vle.csv`: one row per VLE site (a page, resource, quiz...) of a presentation, with its activity"
        " type and planned weeks.",
    ),
    _published(
        "student_info", origin="studentInfo",
        columns=(
            "code_module", "code_presentation", "id_student", "gender", "region", "highest_education",
            "imd_band", "age_band", "num_of_prev_attempts", "studied_credits", "disability", "final_result",
        ),
        key=PRESENTATION + ("id_student",), required=("final_result",),
        numeric={"id_student": "bigint", "num_of_prev_attempts": "integer", "studied_credits": "integer"},
        description="OULAD `studentInfo.csv`: one row per student and presentation: demographics (gender, region,"
        " education, IMD band, age band, disability), prior attempts, credits and the final result.",
    ),
    _published(
        "student_registration", origin="studentRegistration",
        columns=("code_module", "code_presentation", "id_student", "date_registration", "date_unregistration"),
        key=PRESENTATION + ("id_student",), numeric={"id_student": "bigint", "date_registration": "integer", "date_unregistration": "integer"},
        description="OULAD `studentRegistration.csv`: one row per student and presentation: registration day offset"
        " and, for a withdrawal, the unregistration day offset.",
    ),
    _published(
        "student_assessment", origin="studentAssessment",
        columns=("id_assessment", "id_student", "date_submitted", "is_banked", "score"),
        key=("id_assessment", "id_student"), numeric={
            "id_assessment": "bigint", "id_student": "bigint", "date_submitted": "integer", "is_banked": "bigint", "score": "numeric",
        },
        description="OULAD `studentAssessment.csv`: one row per submission (a non-submission has no row): day submitted,"
        " banked flag and score (below 40 is a fail).",
    ),
    # no key: one (student, site, date) repeats on several rows and their clicks add up
    _published(
        "student_vle", origin="studentVle",
        columns=("code_module", "code_presentation", "id_student", "id_site", "date", "sum_click"),
        required=PRESENTATION + ("id_student", "id_site", "date", "sum_click"),
        numeric={"id_student": "bigint", "id_site": "bigint", "date": "integer", "sum_click": "integer"},
        description="OULAD `studentVle.csv`: click rows (student, site, day offset, clicks). No key: one student, site"
        " and day repeats over several rows, summed in gold.",
    ),
)

FILES = by_origin(TABLES)  # by file stem: `studentInfo` is `studentInfo.csv`
