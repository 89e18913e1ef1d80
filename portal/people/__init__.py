"""People: applicants and examiners, with their identity card numbers."""
