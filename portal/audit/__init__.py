"""The one audit trail: every state change writes an AuditEvent through :func:`record`."""
