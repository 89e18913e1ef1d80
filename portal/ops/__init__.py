"""Running the portal for real: request ids and logs, health checks, production checks,
backups and the scheduled jobs (issue 9)."""
