"""The examiner registry (考评员名册): search and export for officers, and an examiner's page
with profile, cards, batches, sheets, refusals and the renewal quality line."""
