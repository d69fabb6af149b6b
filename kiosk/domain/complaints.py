"""Complaints (pengaduan): the categories people actually raise, and the dates by which they are owed an answer.

Categories follow the PKH call-centre seed's top five plus what the sources add (DOMAIN.md).
Service times follow the national public-service complaint standard (SP4N-LAPOR): a first
response within 3 days; information and ordinary complaints within 5; disputes needing no field
check within 14; those needing a field check within 60. Calendar days, the stricter reading: a
local standard that counts working days would only give more time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from kiosk.domain.register_numbers import RegisterNumber

FIRST_RESPONSE_DAYS = 3


class ComplaintCategory(StrEnum):
    LATE_DISBURSEMENT = "late_disbursement"
    WRONG_DATA = "wrong_data"
    NOT_REGISTERED = "eligible_not_registered"
    AMOUNT_REDUCED = "amount_reduced"
    NO_INFORMATION = "no_information"
    CARD_OR_ACCOUNT = "card_or_account"
    ILLEGAL_LEVY = "illegal_levy"
    OTHER = "other"


class ServiceClass(StrEnum):
    """How much handling a complaint needs, which fixes its resolution deadline."""

    INFORMATION = "information"
    COMPLAINT = "complaint"
    DISPUTE = "dispute"
    FIELD_CHECK = "field_check"


RESOLUTION_DAYS = {
    ServiceClass.INFORMATION: 5,
    ServiceClass.COMPLAINT: 5,
    ServiceClass.DISPUTE: 14,
    ServiceClass.FIELD_CHECK: 60,
}

# Why each category gets its class (INFERENCE, see DOMAIN.md): correcting data needs a check with
# the register (a dispute); "eligible but not registered" and illegal levies need a visit.
SERVICE_CLASS = {
    ComplaintCategory.LATE_DISBURSEMENT: ServiceClass.COMPLAINT,
    ComplaintCategory.WRONG_DATA: ServiceClass.DISPUTE,
    ComplaintCategory.NOT_REGISTERED: ServiceClass.FIELD_CHECK,
    ComplaintCategory.AMOUNT_REDUCED: ServiceClass.DISPUTE,
    ComplaintCategory.NO_INFORMATION: ServiceClass.INFORMATION,
    ComplaintCategory.CARD_OR_ACCOUNT: ServiceClass.COMPLAINT,
    ComplaintCategory.ILLEGAL_LEVY: ServiceClass.FIELD_CHECK,
    ComplaintCategory.OTHER: ServiceClass.COMPLAINT,
}


class ComplaintState(StrEnum):
    QUEUED = "queued"  # saved on the device, waiting to be sent
    SYNCED = "synced"  # the central server has it
    IN_PROGRESS = "in_progress"  # staff are verifying or handling it
    REFERRED = "referred"  # passed to another team or body
    RESOLVED = "resolved"  # answered; the complainant has been told
    CLOSED = "closed"  # followed up and closed
    REOPENED = "reopened"


_NEXT: dict[ComplaintState, frozenset[ComplaintState]] = {
    ComplaintState.QUEUED: frozenset({ComplaintState.SYNCED}),
    ComplaintState.SYNCED: frozenset(
        {ComplaintState.IN_PROGRESS, ComplaintState.REFERRED, ComplaintState.RESOLVED}
    ),
    ComplaintState.IN_PROGRESS: frozenset({ComplaintState.REFERRED, ComplaintState.RESOLVED}),
    ComplaintState.REFERRED: frozenset({ComplaintState.IN_PROGRESS, ComplaintState.RESOLVED}),
    ComplaintState.RESOLVED: frozenset({ComplaintState.CLOSED, ComplaintState.REOPENED}),
    ComplaintState.CLOSED: frozenset({ComplaintState.REOPENED}),
    ComplaintState.REOPENED: frozenset(
        {ComplaintState.IN_PROGRESS, ComplaintState.REFERRED, ComplaintState.RESOLVED}
    ),
}


def can_move(current: ComplaintState, target: ComplaintState) -> bool:
    return target in _NEXT[current]


@dataclass(frozen=True)
class Deadlines:
    first_response: datetime
    resolution: datetime


def deadlines_for(category: ComplaintCategory, filed_at: datetime) -> Deadlines:
    days = RESOLUTION_DAYS[SERVICE_CLASS[category]]
    return Deadlines(
        first_response=filed_at + timedelta(days=FIRST_RESPONSE_DAYS),
        resolution=filed_at + timedelta(days=days),
    )


@dataclass(frozen=True)
class ClockTolerance:
    """How far a device's stated filing time may sit from the moment the server received the
    complaint and still be believed. Ahead: device clocks run a little fast, never by days.
    Behind: a kiosk may stay offline, or in a drawer, for months before it syncs."""

    ahead: timedelta = timedelta(hours=1)
    behind: timedelta = timedelta(days=730)


DEFAULT_CLOCK_TOLERANCE = ClockTolerance()


@dataclass(frozen=True)
class ServerDeadlines:
    """The deadlines the server keeps for a complaint, and what they were counted from."""

    deadlines: Deadlines
    counted_from: datetime
    stated_filing_plausible: bool


def deadlines_on_receipt(
    category: ComplaintCategory,
    stated_filed_at: datetime,
    received_at: datetime,
    tolerance: ClockTolerance,
) -> ServerDeadlines:
    """Deadlines from the device's stated filing time when it is believable next to the server's
    receipt time (both aware), else from the receipt time: a device clock at 2000 must not
    escalate a complaint at once, nor one at 2099 keep it from ever falling due."""
    plausible = received_at - tolerance.behind <= stated_filed_at <= received_at + tolerance.ahead
    start = stated_filed_at if plausible else received_at
    return ServerDeadlines(deadlines_for(category, start), start, plausible)


@dataclass(frozen=True)
class Complainant:
    name: str
    nik: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Complaint:
    client_id: str
    register_number: RegisterNumber
    category: ComplaintCategory
    description: str
    complainant: Complainant
    filed_at: datetime
    deadlines: Deadlines
    program: str | None = None
    related_register_number: str | None = None
    state: ComplaintState = ComplaintState.QUEUED

    def moved_to(self, target: ComplaintState) -> Complaint:
        """The same complaint in `target` state; ValueError if the lifecycle forbids it."""
        if not can_move(self.state, target):
            raise ValueError(f"complaint cannot go from {self.state} to {target}")
        return replace(self, state=target)


def file_complaint(
    *,
    client_id: str,
    register_number: RegisterNumber,
    category: ComplaintCategory,
    description: str,
    complainant: Complainant,
    filed_at: datetime,
    program: str | None = None,
    related_register_number: str | None = None,
) -> Complaint:
    """A new complaint, saved first on the device, with its deadlines fixed at filing time."""
    return Complaint(
        client_id=client_id,
        register_number=register_number,
        category=category,
        description=description.strip(),
        complainant=complainant,
        filed_at=filed_at,
        deadlines=deadlines_for(category, filed_at),
        program=program,
        related_register_number=related_register_number,
    )
