"""Changes to a person's record (audited). The caller commits."""

from werkzeug.datastructures import FileStorage

from portal.audit.operations import record
from portal.people.models import Person
from portal.uploads import service as uploads


class PhotoRejected(ValueError):
    """The photo is not an image; the message is Chinese."""


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
