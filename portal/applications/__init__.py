"""Qualification applications (培训发证): eligibility, review steps and summary tables."""
