"""Filing a complaint at the kiosk: saved at once with its register number and answer-by dates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lokal import parse_phone

from kiosk.bootstrap import Kiosk
from kiosk.domain.complaints import (
    Complainant,
    Complaint,
    ComplaintCategory,
    file_complaint,
)
from kiosk.domain.identity import parse_nik
from kiosk.domain.register_numbers import RegisterNumberError, parse_register_number
from kiosk.errors import InputError
from kiosk.services.clock import Clock, IdFactory, new_client_id, system_clock
from kiosk.store.records import next_register_number, save_complaint

MAX_DESCRIPTION = 2000


def file_new_complaint(
    kiosk: Kiosk,
    *,
    category: str,
    description: str,
    name: str,
    nik: str | None = None,
    phone: str | None = None,
    program: str | None = None,
    related_register_number: str | None = None,
    clock: Clock = system_clock,
    new_id: IdFactory = new_client_id,
) -> Complaint:
    """Validate and save a complaint with its outbox row; returns it with its register number."""
    chosen = _category(category)
    text = description.strip()
    if not text:
        raise InputError(
            "describe the problem", where="description", code="complaint.description_empty"
        )
    if len(text) > MAX_DESCRIPTION:
        raise InputError(
            "the description is too long",
            where="description",
            code="complaint.description_too_long",
            params={"limit": MAX_DESCRIPTION},
        )
    if not name.strip():
        raise InputError(
            "the complainant's name is required", where="name", code="complaint.name_empty"
        )
    checked_nik = None
    if nik:
        result = parse_nik(nik)
        if not result.valid:
            first = result.errors[0]
            raise InputError(first.code, where="nik", code=first.code, params=dict(first.params))
        checked_nik = result.number
    checked_phone = _callable_phone(phone) if phone and phone.strip() else None
    related = None
    if related_register_number:
        try:
            related = str(parse_register_number(related_register_number))
        except RegisterNumberError as exc:
            raise InputError(exc.reason, where="related", code=exc.reason) from exc
    with kiosk.db.atomic():
        complaint = file_complaint(
            client_id=new_id(),
            register_number=next_register_number(kiosk.db),
            category=chosen,
            description=text,
            complainant=Complainant(name=name.strip(), nik=checked_nik, phone=checked_phone),
            filed_at=clock(),
            program=program,
            related_register_number=related,
        )
        save_complaint(kiosk.db, complaint)
    return complaint


def _callable_phone(typed: str) -> str:
    """One stored form (0812..., 021...) of a number staff can call back; lokal-id knows the
    Indonesian mobile and area-code lengths."""
    parsed = parse_phone(typed)
    if not parsed.valid or not parsed.e164:
        raise InputError(
            "not an Indonesian phone number", where="phone", code="complaint.phone_invalid"
        )
    return "0" + parsed.e164.removeprefix("+62")


def _category(value: str) -> ComplaintCategory:
    try:
        return ComplaintCategory(value)
    except ValueError as exc:
        allowed = ", ".join(category.value for category in ComplaintCategory)
        raise InputError(
            f"unknown category (choose one of: {allowed})",
            where="category",
            code="complaint.unknown_category",
            params={"allowed": allowed},
        ) from exc


def complaint_categories() -> list[str]:
    return [category.value for category in ComplaintCategory]


def complaint_summary(complaint: Complaint) -> Mapping[str, Any]:
    return {
        "register_number": str(complaint.register_number),
        "client_id": complaint.client_id,
        "category": complaint.category.value,
        "state": complaint.state.value,
        "filed_at": complaint.filed_at.isoformat(),
        "first_response_due": complaint.deadlines.first_response.isoformat(),
        "resolution_due": complaint.deadlines.resolution.isoformat(),
    }
