"""User administration (admin) and the scoped read-only user page."""
