"""The demo source's settings: its name, cadence and owner."""

SOURCE = "demo"
CADENCE = "daily"
OWNER = "team:demo"
