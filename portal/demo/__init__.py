"""Demo data: reference data for Sichuan plus believable accounts, people and cards."""
