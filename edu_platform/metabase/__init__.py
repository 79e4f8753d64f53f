"""Metabase on gold, as code: the analysts' questions (`dashboards.py`) and their provisioning through Metabase's
REST API (`provision.py`, run as `python -m edu_platform.metabase`)."""
