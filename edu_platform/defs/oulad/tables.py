"""OULAD's seven published files: each one's single declaration (columns as published, key, checks, description)."""

from edu_platform.defs.oulad.settings import CADENCE, SOURCE
from edu_platform.lib.tables import BronzeTable, by_origin

PRESENTATION = ("code_module", "code_presentation")

TABLES: tuple[BronzeTable, ...] = (
    BronzeTable(
        SOURCE, "courses", origin="courses", cadence=CADENCE,
        columns=("code_module", "code_presentation", "module_presentation_length"),
        key=PRESENTATION, numeric=("module_presentation_length",),
        description="OULAD `courses.csv` as published: one row per module presentation (e.g. AAA 2013J), with its length in days.",
    ),
    BronzeTable(
        SOURCE, "assessments", origin="assessments", cadence=CADENCE,
        columns=("code_module", "code_presentation", "id_assessment", "assessment_type", "date", "weight"),
        key=("id_assessment",), required=PRESENTATION, numeric=("id_assessment", "date", "weight"),
        description="OULAD `assessments.csv`: one row per assessment (TMA, CMA or Exam) of a presentation, its due day"
        " offset (`?` when the exam date is unpublished) and weight.",
    ),
    BronzeTable(
        SOURCE, "vle", origin="vle", cadence=CADENCE,
        columns=("id_site", "code_module", "code_presentation", "activity_type", "week_from", "week_to"),
        key=("id_site",), required=PRESENTATION, numeric=("id_site", "week_from", "week_to"),
        description="OULAD `vle.csv`: one row per VLE site (a page, resource, quiz...) of a presentation, with its activity"
        " type and planned weeks.",
    ),
    BronzeTable(
        SOURCE, "student_info", origin="studentInfo", cadence=CADENCE,
        columns=(
            "code_module", "code_presentation", "id_student", "gender", "region", "highest_education",
            "imd_band", "age_band", "num_of_prev_attempts", "studied_credits", "disability", "final_result",
        ),
        key=PRESENTATION + ("id_student",), required=("final_result",),
        numeric=("id_student", "num_of_prev_attempts", "studied_credits"),
        description="OULAD `studentInfo.csv`: one row per student and presentation: demographics (gender, region,"
        " education, IMD band, age band, disability), prior attempts, credits and the final result.",
    ),
    BronzeTable(
        SOURCE, "student_registration", origin="studentRegistration", cadence=CADENCE,
        columns=("code_module", "code_presentation", "id_student", "date_registration", "date_unregistration"),
        key=PRESENTATION + ("id_student",), numeric=("id_student", "date_registration", "date_unregistration"),
        description="OULAD `studentRegistration.csv`: one row per student and presentation: registration day offset"
        " and, for a withdrawal, the unregistration day offset.",
    ),
    BronzeTable(
        SOURCE, "student_assessment", origin="studentAssessment", cadence=CADENCE,
        columns=("id_assessment", "id_student", "date_submitted", "is_banked", "score"),
        key=("id_assessment", "id_student"), numeric=("id_assessment", "id_student", "date_submitted", "is_banked", "score"),
        description="OULAD `studentAssessment.csv`: one row per submission (a non-submission has no row): day submitted,"
        " banked flag and score (below 40 is a fail).",
    ),
    # no key: one (student, site, date) repeats on several rows and their clicks add up
    BronzeTable(
        SOURCE, "student_vle", origin="studentVle", cadence=CADENCE,
        columns=("code_module", "code_presentation", "id_student", "id_site", "date", "sum_click"),
        required=PRESENTATION + ("id_student", "id_site", "date", "sum_click"),
        numeric=("id_student", "id_site", "date", "sum_click"),
        description="OULAD `studentVle.csv`: click rows (student, site, day offset, clicks). No key: one student, site"
        " and day repeats over several rows, summed in gold.",
    ),
)

FILES = by_origin(TABLES)  # by file stem: `studentInfo` is `studentInfo.csv`
