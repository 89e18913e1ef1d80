"""Working-day calendar overrides maintained by the admin (holidays and 调休 working days)."""
