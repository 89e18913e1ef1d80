"""Renewal (复核换证): renewal plans, applications and the disqualification rules."""
