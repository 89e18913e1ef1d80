"""Examiner cards (证卡): issue, collection, validity, voiding and revocation."""
