"""Reading a new booking request from the portal form (multipart) or an API client (JSON), and submitting it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from models.booking_schemas import BookingRequestIn
from models.tables import BookingRequest, Customer, PendingUpload
from services.backend import booking_checks as checks
from services.backend import booking_ops as ops
from services.backend.context import Backend
from services.backend.errors import BadRequest, Invalid, TooLarge, TooMany, UnsupportedMediaType, describe_validation
from services.backend.photos import MAX_BYTES, CleanPhoto, PhotoError, process, too_large

MAX_BODY = 3 * MAX_BYTES + 2 * 1024 * 1024
MAX_PER_HOUR = 10


@dataclass
class Upload:
    filename: str
    data: bytes | None  # None when the file was too large to read
    size: int


@dataclass
class Submission:
    """Everything the customer sent, as typed (kept to re-fill the form)."""

    draft: checks.Draft
    form: dict[str, Any] = field(default_factory=dict)
    uploads: list[Upload] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    request: BookingRequest | None
    errors: dict[str, str]
    pending: list[PendingUpload]
    too_large: bool = False


async def read_submission(request: Request) -> Submission:
    """Parse JSON or multipart/form-data (the portal form's field names or the API's)."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_BODY:
        raise TooLarge(f"The upload is {int(length) / 1048576:.0f} MB; send at most 3 photos of 10 MB each.")
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json":
        try:
            raw = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BadRequest("The request body is not valid JSON. Send a JSON object.",
                             [{"field": "body", "message": "not valid JSON"}]) from None
        try:
            body = BookingRequestIn.model_validate(raw)
        except ValidationError as exc:
            message, details = describe_validation(list(exc.errors()))
            raise Invalid(message, details) from None
        draft = checks.Draft(body.service_type, body.preferred_dates, body.time_preference.value, body.address,
                          body.notes)
        return Submission(draft, raw if isinstance(raw, dict) else {})
    if ctype not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raise UnsupportedMediaType("Send the request as application/json or multipart/form-data.")
    form = await request.form(max_files=10, max_fields=60)
    values: dict[str, Any] = {k: str(v) for k, v in form.items() if not isinstance(v, UploadFile)}
    service = values.get("service_type", values.get("service", ""))
    if service == checks.OTHER_SERVICE:
        service = values.get("service_other", "")
    address: str | None = values.get("address") or None
    if "use_other_address" in values:
        address = values.get("address_other", "")
    dates = [str(d) for d in form.getlist("preferred_dates")]
    values["preferred_dates"] = dates
    draft = checks.Draft(service, dates, values.get("time_preference", ""), address, values.get("notes", ""))
    uploads: list[Upload] = []
    for item in form.getlist("photos"):
        if not isinstance(item, UploadFile) or (not item.filename and not item.size):
            continue
        size = item.size or 0
        data = None if size > MAX_BYTES else await item.read(MAX_BYTES + 1)
        uploads.append(Upload(item.filename or "photo", data, size if data is None else len(data)))
    remove = {str(t) for t in form.getlist("remove")}
    kept = [str(t) for t in form.getlist("kept") if str(t) not in remove]
    return Submission(draft, values, uploads, kept)


def submit(db: Session, ctx: Backend, customer: Customer, sub: Submission, *, keep_uploads: bool) -> Outcome:
    """Check and store a request in one transaction. With `keep_uploads` (the portal form) good photos from a
    form with errors are kept as pending uploads so the customer need not choose them again."""
    now = ctx.clock.now()
    company = ctx.company(db)
    checks.ensure_can_book(company, customer)
    if ops.recent_count(db, customer.id, now) >= MAX_PER_HOUR:
        raise TooMany("You've sent many requests in the last hour. Please call us instead, or try later.")
    pending = ops.pending_for(db, customer.id, sub.kept) if keep_uploads else []
    checked, errors = checks.check_draft(sub.draft, company, customer, now)
    photos: list[CleanPhoto] = []
    photo_errors: list[str] = []
    big = False
    for up in sub.uploads:
        try:
            if up.data is None:
                raise too_large(up.filename, up.size)
            photos.append(process(up.data, up.filename, ctx.settings.max_image_pixels))
        except PhotoError as exc:
            photo_errors.append(str(exc))
            big = big or exc.too_large
    total = len(pending) + len(photos)
    if total > checks.MAX_PHOTOS:
        extra = total - checks.MAX_PHOTOS
        photo_errors.append(f"You can attach at most {checks.MAX_PHOTOS} photos; you chose {total}. "
                            + ("We kept the first 3 — remove one if you'd like a different set."
                               if keep_uploads else f"Leave out {extra}."))
        photos = photos[: max(0, checks.MAX_PHOTOS - len(pending))]
    if photo_errors:
        errors["photos"] = " ".join(photo_errors)
    if errors:
        if keep_uploads:
            pending = pending + [ops.keep_pending(db, customer.id, p, now) for p in photos]
            db.commit()
        return Outcome(None, errors, pending, big)
    assert checked is not None
    req = ops.create_request(db, ctx, customer, checked, photos, pending, now)
    db.commit()
    return Outcome(req, {}, [])


def raise_for(outcome: Outcome) -> None:
    """The API's answer to a refused submission: 413 for an oversized photo, else 422 naming each field."""
    details = [{"field": f, "message": m} for f, m in outcome.errors.items()]
    text = "; ".join(f"{d['field']}: {d['message']}" for d in details)
    if outcome.too_large:
        raise TooLarge(f"Photo too large — {outcome.errors.get('photos', '')}", details)
    raise Invalid(f"Invalid input — {text}", details)
