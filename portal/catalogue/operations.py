"""Changes to the occupation catalogue (audited). The caller commits."""

from portal.audit.operations import record, snapshot
from portal.catalogue.models import Occupation
from portal.extensions import db

FIELDS = ("code", "name", "active")


def save_occupation(occupation: Occupation | None, *, code: str, name: str, active: bool):
    """Create (``occupation`` None) or update an occupation. Occupations are never deleted:
    cards and batches refer to them; an unused one is deactivated instead."""
    created = occupation is None
    before = None if created else snapshot(occupation, FIELDS)
    occupation = occupation or Occupation()
    occupation.code, occupation.name, occupation.active = code.strip(), name.strip(), active
    db.session.add(occupation)
    db.session.flush()
    record("occupation.create" if created else "occupation.update", occupation,
           before=before, after=snapshot(occupation, FIELDS))
    return occupation
