"""Organisations: evaluation institutions, testing stations and the units that recommend applicants."""
