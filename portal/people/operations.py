"""Changes to a person's record (audited). The caller commits.

:func:`create_person` and :func:`update_person` are the one way a profile is written, by the
applicant (我的资料), by an officer correcting a profile, and by the import from the old
system. Both check every field with :func:`portal.people.rules.clean_profile` and the ID
number's uniqueness, and raise :class:`PersonError` (Chinese messages per field) instead of
writing anything invalid.
"""

from collections.abc import Mapping

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from portal.audit.operations import record, snapshot
from portal.catalogue.models import Region
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.people import rules
from portal.people.idcard import gender_from_id
from portal.people.models import Person
from portal.timeutil import local_today
from portal.uploads import service as uploads

MSG_ID_TAKEN = "该身份证号码已登记在其他人员名下，同一人只能有一份资料"
#: What a new person needs at least (Attachment 1; ``region_id`` decides who reviews them).
REQUIRED = ("name", "id_number", "region_id")


class PhotoRejected(ValueError):
    """The photo is not an image; the message is Chinese."""


class PersonError(ValueError):
    """A profile change that cannot be stored: ``errors`` maps each field to a Chinese
    message (for the form field of the same name, or a row of an import report)."""

    def __init__(self, errors: Mapping[str, str]):
        self.errors = dict(errors)
        super().__init__("；".join(f"{rules.FIELD_LABELS.get(k, k)}：{v}"
                                  for k, v in self.errors.items()))


def set_photo(person: Person, file: FileStorage, *, actor_id: int) -> None:
    """Store ``file`` through the upload service and make it the person's photo.

    Raises :class:`portal.uploads.service.UploadRejected` (nothing written) for a bad file,
    and :class:`PhotoRejected` for a PDF, which is a valid upload but not a photo.
    """
    upload = uploads.store(file, actor_id=actor_id)
    if not upload.is_image:
        raise PhotoRejected("照片须为 JPG 或 PNG 图片")
    before = person.photo_upload_id
    person.photo_upload_id = upload.id
    record("person.photo", person, before={"photo_upload_id": before},
           after={"photo_upload_id": upload.id})


def id_number_taken(number: str, *, exclude_person_id: int | None = None) -> bool:
    """True when another person already has the (normalised) ID ``number``."""
    stmt = select(Person.id).where(Person.id_number == number)
    if exclude_person_id is not None:
        stmt = stmt.where(Person.id != exclude_person_id)
    return db.session.scalar(stmt.limit(1)) is not None


def _check(values: Mapping[str, object], *, person_id: int | None) -> dict[str, object]:
    """Clean ``values`` and check what needs the database (known region and unit, unique ID
    number); raise :class:`PersonError` with every problem found."""
    clean, errors = rules.clean_profile(values, today=local_today())
    region_id = clean.get("region_id")
    if region_id is not None and db.session.get(Region, region_id) is None:
        errors["region_id"] = "请从列表中选择所在城市"
    org_id = clean.get("organisation_id")
    if org_id is not None and db.session.get(Organisation, org_id) is None:
        errors["organisation_id"] = "请从列表中选择单位"
    number = clean.get("id_number")
    if number is not None and id_number_taken(str(number), exclude_person_id=person_id):
        errors["id_number"] = MSG_ID_TAKEN
    if errors:
        raise PersonError(errors)
    return clean


def create_person(*, actor_id: int | None, **fields: object) -> Person:
    """Create a person from Attachment 1 fields and audit it as ``person.create``.

    Keyword arguments are the names of :data:`portal.people.rules.PROFILE_FIELDS`:
    ``name``, ``id_number`` and ``region_id`` (所在城市, a :class:`Region` id) are required;
    ``gender`` ("男"/"女") defaults to the one the ID number encodes; ``education``,
    ``employer``, ``title``, ``position``, ``address``, ``mobile`` default to "",
    ``organisation_id`` (the registered unit that recommends the person) and
    ``years_worked`` to None, ``retired`` to False. Values are normalised (ID number upper
    case without spaces, mobile as 11 digits).

    Raises :class:`PersonError` (nothing added) when a field is invalid or the ID number
    already belongs to someone else. ``actor_id`` is the user who creates the record (None
    for a system job). Flushes; the caller commits.

    Example: ``create_person(name="张三", id_number="510104198506181230", region_id=2,
    mobile="13800001234", actor_id=user.id)``.
    """
    values = {k: v for k, v in fields.items() if v not in (None, "") or k not in REQUIRED}
    if values.get("gender") in (None, ""):
        try:
            values["gender"] = gender_from_id(str(values.get("id_number", "")))
        except ValueError:
            values.pop("gender", None)  # the ID number's own error is reported instead
    errors = {f: f"请填写{rules.FIELD_LABELS[f]}" for f in REQUIRED if f not in values}
    try:
        clean = _check(values, person_id=None)
    except PersonError as exc:
        errors = {**exc.errors, **errors}
    if errors:
        raise PersonError(errors)
    person = Person(**clean)
    db.session.add(person)
    db.session.flush()
    record("person.create", person, actor_id=actor_id,
           after=snapshot(person, [f for f in rules.PROFILE_FIELDS]))
    return person


def update_person(person: Person, changes: Mapping[str, object], *,
                  actor_id: int | None) -> dict[str, tuple[object, object]]:
    """Apply ``changes`` (profile field → new value) to ``person`` and audit them as
    ``person.update`` with the values before and after.

    Every value is checked as in :func:`create_person`; on any problem :class:`PersonError`
    is raised and nothing is changed. A change of ``id_number`` alone keeps the recorded
    gender, which must still agree with the new number. Returns ``{field: (before, after)}``
    of what actually changed (empty when nothing did, and then nothing is audited). Flushes;
    the caller commits.
    """
    values = dict(changes)
    if "id_number" in values and "gender" not in values:
        values["gender"] = person.gender
    clean = _check(values, person_id=person.id)
    before = snapshot(person, list(clean))
    changed = {k: (before[k], v) for k, v in clean.items() if before[k] != v}
    if not changed:
        return {}
    for key, (_, value) in changed.items():
        setattr(person, key, value)
    record("person.update", person, actor_id=actor_id,
           before={k: old for k, (old, _) in changed.items()},
           after={k: new for k, (_, new) in changed.items()})
    return changed
