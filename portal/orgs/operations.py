"""Creating and changing organisations (audited). The caller commits."""

from portal.audit.operations import record, snapshot
from portal.extensions import db
from portal.orgs.models import Organisation

FIELDS = ("name", "org_type", "region_id", "provincial_direct", "training_quota",
          "credit_code", "contact_phone", "address", "active")


def _apply(org: Organisation, values: dict) -> None:
    for field in FIELDS:
        value = values[field]
        if isinstance(value, str):
            value = value.strip()
        if field == "credit_code":
            value = value.upper()
        setattr(org, field, value)


def create_organisation(values: dict) -> Organisation:
    org = Organisation()
    _apply(org, values)
    db.session.add(org)
    db.session.flush()
    record("organisation.create", org, after=snapshot(org, FIELDS))
    return org


def update_organisation(org: Organisation, values: dict) -> None:
    before = snapshot(org, FIELDS)
    _apply(org, values)
    db.session.flush()
    record("organisation.update", org, before=before, after=snapshot(org, FIELDS))
