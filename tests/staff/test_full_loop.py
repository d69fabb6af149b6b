"""The whole loop with a real kiosk: a complaint filed offline reaches the console, staff answer it,
and the complainant reads the answer on the kiosk after its next sync."""

from __future__ import annotations

from datetime import timedelta

from kiosk.services.complaints import file_new_complaint
from kiosk.services.status import status_of
from kiosk.services.sync import enroll_device, sync_now
from sync.server import devices
from sync.server.staff import cases
from sync.server.staff.cases import QueueFilters
from sync.server.staff.roles import Role
from sync.server.storage import utc_now


def test_a_complaint_filed_offline_is_answered_in_the_console_and_the_kiosk_shows_it(
    live_server, db, staff, kiosk, area
):
    ticket = devices.add_device(db, f"loket-{area}", area, now=utc_now(), ttl=timedelta(hours=1))
    enroll_device(kiosk, live_server.url, ticket.display)
    complaint = file_new_complaint(
        kiosk,
        category="late_disbursement",
        description="Dana tahap 2 belum masuk sejak Juli.",
        name="Hj. Aminah",
    )
    number = str(complaint.register_number)
    assert sync_now(kiosk).is_complete
    [row] = cases.complaint_queue(db, now=utc_now(), filters=QueueFilters(area_prefix=area))
    assert row.register_number == number
    officer = staff(Role.OFFICER)
    version = cases.classify(
        db,
        officer,
        number,
        version=row.version,
        now=utc_now(),
        category="late_disbursement",
        severity="high",
    )
    sync_now(kiosk)
    assert status_of(kiosk, number).state == "in_progress"
    message = "Dana sudah ditransfer pada 3 Juli; cek buku tabungan Anda."
    cases.resolve(db, officer, number, version=version, now=utc_now(), message=message)
    sync_now(kiosk)
    seen = status_of(kiosk, number)
    assert (seen.state, seen.status_note) == ("resolved", message)
