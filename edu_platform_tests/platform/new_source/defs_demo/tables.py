"""The demo source's one bronze table, declared once."""

from edu_platform.lib.tables import BronzeTable

from .settings import CADENCE, SOURCE

TABLES = (
    BronzeTable(
        SOURCE, "visits", cadence=CADENCE, columns=("visit_id", "learner_id", "page"), key=("visit_id",),
        required=("learner_id",), description="Demo visits: one row per visit of a learner to a page.",
    ),
)
