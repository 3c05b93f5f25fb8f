"""Task photos: only images (the type read from the bytes, not from the name or the header),
at most 10 MB, resized to at most 1600 px, re-encoded as JPEG with the EXIF location removed
unless the framework's setting keeps it, stored as files in the file store (central.core.storage:
a folder or S3-compatible object storage, not the database), and deleted by `purge-photos` after
the framework's retention (default 24 months).
"""

from __future__ import annotations

import io
import logging
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta
from flask import current_app, request
from flask_babel import lazy_gettext as _l
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge

from central.core import audit, clock, storage
from central.core.errors import N_, Conflict, Forbidden, NotFound, ValidationError
from central.core.jobs import job
from central.extensions import db
from central.fieldwork.models import DEFAULT_PHOTO_RETENTION_MONTHS, FieldworkSetting, TaskPhoto
from central.planning.models import Round, RoundStatus, Task, TaskStatus
from central.planning.reach import works_on_task

log = logging.getLogger(__name__)

PHOTO_MAX_BYTES = 10 * 1024 * 1024  # SPEC section 5: a photo is at most 10 MB
MAX_SIDE = 1600  # pixels: sharp enough to show a defect, small enough for a phone's data plan
# Decompression bombs are refused from the image's header, before any decoding. A JPEG (what
# phones send) is decoded already scaled down towards MAX_SIDE (libjpeg's draft mode), so that a
# 50-megapixel phone photo costs a few megapixels of memory; other formats decode whole, hence a
# lower limit (a 20 MP PNG decodes to at most 80 MB).
MAX_PIXELS_JPEG = 50_000_000
MAX_PIXELS = 20_000_000
DRAFT_FORMATS = {"JPEG", "MPO"}
MAX_PHOTOS_PER_TASK = 20
JPEG_QUALITY = 85
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "MPO"}
PURGE_BATCH = 500


@dataclass
class ProcessedPhoto:
    data: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"


def process_image(data: bytes, *, keep_location: bool) -> ProcessedPhoto:
    """Check that the bytes are an image, then orient, resize and re-encode it as JPEG; the EXIF
    GPS block is dropped unless `keep_location` (other metadata such as XMP is never kept)."""
    not_an_image = ValidationError(
        N_("The file is not a photo. Send a JPEG, PNG or WebP image."),
        fields={"file": N_("Not an image.")},
    )
    try:
        image = Image.open(io.BytesIO(data))  # reads the header only
        if image.format not in ACCEPTED_FORMATS:
            raise not_an_image
        width, height = image.size
        limit = MAX_PIXELS_JPEG if image.format in DRAFT_FORMATS else MAX_PIXELS
        if width * height > limit:
            raise ValidationError(
                N_("The image has too many pixels (at most %(megapixels)d megapixels)."),
                fields={"file": N_("Too many pixels.")},
                params={"megapixels": limit // 1_000_000},
            )
        if image.format in DRAFT_FORMATS:
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))
        image.load()
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        raise not_an_image from None
    image = ImageOps.exif_transpose(image)  # bakes the orientation in
    exif = image.getexif()
    exif.pop(ExifTags.Base.Orientation, None)
    if not keep_location:
        exif.pop(ExifTags.IFD.GPSInfo, None)
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        image = background
    elif image.mode != "RGB":
        image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    image.info.pop("xmp", None)
    out = io.BytesIO()
    options: dict[str, Any] = {"quality": JPEG_QUALITY, "optimize": True}
    if len(exif):
        options["exif"] = exif.tobytes()
    image.save(out, "JPEG", **options)
    return ProcessedPhoto(out.getvalue(), image.width, image.height)


def read_upload() -> bytes:
    """The multipart `file`, refused (413) above 10 MB before it is read whole: by its
    Content-Length at once, and by a limit on the stream for a body sent without one."""
    # The multipart envelope around the file is small; allow for it in the request's length.
    limit, envelope = PHOTO_MAX_BYTES, 64 * 1024
    if request.content_length is not None and request.content_length > limit + envelope:
        raise RequestEntityTooLarge()
    request.max_content_length = min(
        limit + envelope, current_app.config.get("MAX_CONTENT_LENGTH") or limit + envelope
    )
    upload = request.files.get("file")
    if upload is None:
        raise ValidationError(
            N_("Send the photo as the multipart field `file`."), fields={"file": N_("Missing.")}
        )
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise RequestEntityTooLarge()
    return data


def keeps_location(framework_id: int) -> bool:
    setting = db.session.get(FieldworkSetting, framework_id)
    return bool(setting and setting.keep_photo_location)


def add_photo(task: Task, data: bytes, *, actor: Any) -> TaskPhoto:
    """Add a photo to a task (its provider, until the member accepts the work)."""
    round_ = task.round
    if not works_on_task(actor, task):
        raise Forbidden(N_("Only the provider of this round can add photos."))
    if task.status == TaskStatus.CANCELLED:
        raise Conflict(N_("This task is cancelled; it takes no photos."))
    if task.status == TaskStatus.ACCEPTED or round_.status == RoundStatus.ACCEPTED:
        raise Conflict(N_("The member has accepted this work; it can no longer change."))
    if round_.status in (RoundStatus.PLANNED, RoundStatus.CANCELLED):
        raise Conflict(N_("This round takes no photos."))
    count = db.session.scalar(
        select(func.count()).select_from(TaskPhoto).where(TaskPhoto.task_id == task.id)
    )
    if count >= MAX_PHOTOS_PER_TASK:
        raise Conflict(N_("A task has at most 20 photos."))
    if not data:
        raise ValidationError(N_("The file is empty."), fields={"file": N_("Empty.")})
    keep = keeps_location(round_.framework_id)
    processed = process_image(data, keep_location=keep)
    now = clock.business_now()
    key = f"photos/{now:%Y/%m}/{uuid.uuid4().hex}.jpg"
    storage.store(db.session, key, processed.data, processed.content_type)
    photo = TaskPhoto(
        task_id=task.id,
        storage_key=key,
        content_type=processed.content_type,
        size_bytes=len(processed.data),
        width=processed.width,
        height=processed.height,
        location_kept=keep,
        uploaded_by_id=getattr(actor, "id", None),
        uploaded_at=now,
    )
    db.session.add(photo)
    db.session.flush()
    audit.record("task.photo_added", task, actor=actor, photo_id=photo.id, location_kept=keep)
    return photo


def photos_of(task: Task) -> list[TaskPhoto]:
    return list(
        db.session.scalars(
            select(TaskPhoto).where(TaskPhoto.task_id == task.id).order_by(TaskPhoto.id)
        )
    )


# --- purge-photos --------------------------------------------------------------------------------


@job(
    "purge-photos",
    order=7,
    description=_l(
        "Deletes photos older than the retention the coordinator set (default 24 months)."
    ),
    cron={"hour": 5, "minute": 30},
    label=N_("Daily 05:30"),
    grace=6 * 3600,
)
def purge_photos(session: Session, today: date) -> dict[str, Any]:
    """Delete photos older than their framework's retention (default 24 months): the file first,
    then the row, committed per batch; also stored Idempotency-Key answers past their retention.
    Idempotent: a second run finds nothing left."""
    from central.fieldwork import idempotency

    now = clock.business_now()
    retention = dict(
        session.execute(
            select(FieldworkSetting.framework_id, FieldworkSetting.photo_retention_months)
        ).all()
    )
    shortest = min([DEFAULT_PHOTO_RETENTION_MONTHS, *retention.values()])
    counts = {"photos_deleted": 0, "files_missing": 0, "idempotency_keys_deleted": 0}
    last_id = 0
    while True:
        rows = session.execute(
            select(TaskPhoto.id, TaskPhoto.storage_key, TaskPhoto.uploaded_at, Round.framework_id)
            .join(Task, Task.id == TaskPhoto.task_id)
            .join(Round, Round.id == Task.round_id)
            .where(
                TaskPhoto.uploaded_at < now - relativedelta(months=shortest),
                TaskPhoto.id > last_id,
            )
            .order_by(TaskPhoto.id)
            .limit(PURGE_BATCH)
        ).all()
        if not rows:
            break
        last_id = rows[-1].id
        expired = [
            row
            for row in rows
            if row.uploaded_at
            < now
            - relativedelta(months=retention.get(row.framework_id, DEFAULT_PHOTO_RETENTION_MONTHS))
        ]
        files = storage.current_storage()
        for row in expired:
            if not files.delete(row.storage_key):
                counts["files_missing"] += 1
        if expired:
            session.execute(
                delete(TaskPhoto)
                .where(TaskPhoto.id.in_([row.id for row in expired]))
                .execution_options(synchronize_session=False)
            )
            audit.record("photos.purged", None, today=today, photos=[row.id for row in expired])
        counts["photos_deleted"] += len(expired)
        session.commit()
    counts["idempotency_keys_deleted"] = idempotency.purge_expired(now)
    session.commit()
    return counts


def photo_response(photo: TaskPhoto):
    """The photo's file, streamed from the file store (its caller checked the reach)."""
    try:
        response = storage.current_storage().response(photo.storage_key, photo.content_type)
    except (storage.FileMissing, ValueError):
        raise NotFound(N_("Not found.")) from None
    response.headers["Cache-Control"] = "private, no-store"
    return response
