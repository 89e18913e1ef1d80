"""Accounts, roles, login with lockout, first-login password change."""
