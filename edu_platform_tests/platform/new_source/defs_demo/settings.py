"""The demo source's settings: its name, cadence, owner, and what each bronze table holds."""

from edu_platform.lib.checks import TableContract

SOURCE = "demo"
CADENCE = "daily"
OWNER = "team:demo"

DESCRIPTIONS = {"visits": "Demo visits: one row per visit of a learner to a page."}
CONTRACTS = [TableContract("visits", keys=("visit_id",), required=("learner_id",), columns=("visit_id", "learner_id", "page"))]
