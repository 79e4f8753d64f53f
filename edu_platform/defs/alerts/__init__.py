"""Alerting on failed asset checks and failed runs: webhook, e-mail and the `ops.alert_log` table."""
