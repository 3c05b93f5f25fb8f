"""The field-work jobs: purge-photos (retention per framework, files and rows, idempotent),
send-digests (what changed for each user in reach, idempotent) and mark-overdue's automatic
acceptance of completed rounds after 14 days (rule 15)."""

from __future__ import annotations

import io
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from PIL import Image
from sqlalchemy import func, select

from central.core import storage
from central.core.clock import frozen_today, today
from central.core.types import utcnow
from central.extensions import db
from central.fieldwork import digests, photos, services
from central.fieldwork.models import DigestMark, IdempotencyRecord, TaskPhoto
from central.jobs.models import JobStatus
from central.planning import jobs as planning_jobs
from tests.factories import make_user
from tests.fieldwork.conftest import OK


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 10)).save(out, "PNG")
    return out.getvalue()


def photo_aged(field, task, months: int, days: int = 0) -> TaskPhoto:
    photo = photos.add_photo(task, png(), actor=field.crew)
    photo.uploaded_at = utcnow() - relativedelta(months=months, days=days)
    db.session.flush()
    return photo


def stored(key: str) -> bool:
    return storage.current_storage().exists(key)


# --- purge-photos --------------------------------------------------------------------------------


def test_purge_photos_deletes_photos_older_than_24_months_by_default(field, file_store):
    old = photo_aged(field, field.tasks[0], 24, days=2)
    young = photo_aged(field, field.tasks[0], 23)
    old_key, young_key = old.storage_key, young.storage_key
    assert stored(old_key) and stored(young_key)
    old_id, young_id = old.id, young.id
    counts = photos.purge_photos(db.session, today())
    assert counts["photos_deleted"] == 1
    assert not stored(old_key) and stored(young_key)
    assert db.session.get(TaskPhoto, old_id) is None
    assert db.session.get(TaskPhoto, young_id) is not None
    # Idempotent: a second run finds nothing left.
    assert photos.purge_photos(db.session, today())["photos_deleted"] == 0


def test_purge_photos_follows_the_coordinators_retention(field):
    services.update_settings(
        field.framework,
        {"keep_photo_location": False, "photo_retention_months": 6},
        actor=field.coordinator,
    )
    seven = photo_aged(field, field.tasks[0], 7)
    five = photo_aged(field, field.tasks[0], 5)
    seven_id, five_id = seven.id, five.id
    assert photos.purge_photos(db.session, today())["photos_deleted"] == 1
    assert db.session.get(TaskPhoto, seven_id) is None
    assert db.session.get(TaskPhoto, five_id) is not None


def test_purge_photos_tolerates_a_missing_file(field, file_store):
    photo = photo_aged(field, field.tasks[0], 30)
    assert file_store.delete(photo.storage_key)
    counts = photos.purge_photos(db.session, today())
    assert counts == {**counts, "photos_deleted": 1, "files_missing": 1}


def test_purge_photos_removes_expired_idempotency_answers(field):
    for age in (31, 1):
        db.session.add(
            IdempotencyRecord(
                user_id=field.crew.id,
                key=f"k{age}",
                fingerprint="x" * 64,
                status_code=200,
                body="{}",
                created_at=utcnow() - timedelta(days=age),
            )
        )
    db.session.flush()
    assert photos.purge_photos(db.session, today())["idempotency_keys_deleted"] == 1
    keys = db.session.scalars(select(IdempotencyRecord.key)).all()
    assert keys == ["k1"]


def test_photo_of_a_failed_write_is_not_left_in_the_store(field, file_store):
    photo = photos.add_photo(field.tasks[0], png(), actor=field.crew)
    key = photo.storage_key
    assert file_store.exists(key)
    db.session.rollback()
    assert not file_store.exists(key)


# --- send-digests --------------------------------------------------------------------------------


def bodies(inbox, email: str) -> list[str]:
    return [m.get_body(("plain",)).get_content() for m in inbox.messages if m["To"] == email]


def test_send_digests_tells_each_user_what_changed_in_reach(field, smtp_server):
    for user in (field.crew, field.member_user, field.coordinator):
        user.locale = "en"
    outsider = make_user("member")
    other_crew = make_user("provider")
    for n, task in enumerate(field.tasks):
        services.record_result(task, {"result": "defect"} if n == 0 else OK, actor=field.crew)
    services.contest_task(field.tasks[1], "Plate missing", actor=field.member_user)
    smtp_server.messages.clear()
    counts = digests.send_digests(db.session, today())
    assert counts["digests_sent"] >= 3
    member = "\n".join(bodies(smtp_server, field.member_user.email))
    assert f"Round {field.round.id}" in member and "Need " in member
    crew = "\n".join(bodies(smtp_server, field.crew.email))
    # The crew hears of the contest, not of its own results.
    assert "contested" in crew
    assert "result recorded" not in crew
    coordinator = "\n".join(bodies(smtp_server, field.coordinator.email))
    assert coordinator
    assert bodies(smtp_server, outsider.email) == [] and bodies(smtp_server, other_crew.email) == []
    # Idempotent: the second run has nothing new to tell.
    smtp_server.messages.clear()
    again = digests.send_digests(db.session, today())
    assert again["digests_sent"] == 0 and smtp_server.messages == []
    marks = db.session.scalar(select(func.count()).select_from(DigestMark))
    assert marks >= 5


def test_send_digests_lists_rounds_marked_by_jobs(field, smtp_server):
    field.crew.locale = "en"
    day = date(2030, 1, 7)
    field.round.due_date = day - timedelta(days=3)
    db.session.flush()
    planning_jobs.mark_overdue(db.session, day)
    smtp_server.messages.clear()
    digests.send_digests(db.session, today())
    crew = "\n".join(bodies(smtp_server, field.crew.email))
    assert f"Round {field.round.id}: overdue" in crew


# --- rule 15: automatic acceptance in mark-overdue -----------------------------------------------


def test_rule_15_completed_round_not_contested_within_14_days_is_accepted(field):
    day0 = date(2030, 3, 4)
    with frozen_today(day0):
        for task in field.tasks:
            services.record_result(task, OK, actor=field.crew)
    assert field.round.status == "completed"
    planning_jobs.mark_overdue(db.session, day0 + timedelta(days=13))
    db.session.refresh(field.round)
    assert field.round.status == "completed"
    counts = planning_jobs.mark_overdue(db.session, day0 + timedelta(days=14))
    db.session.refresh(field.round)
    assert counts["auto_accepted"] == 1 and field.round.status == "accepted"
    assert {t.status for t in field.tasks} == {"accepted"}


def test_rule_15_a_contest_restarts_the_14_days(field):
    day0 = date(2030, 3, 4)
    with frozen_today(day0):
        for task in field.tasks:
            services.record_result(task, OK, actor=field.crew)
    with frozen_today(day0 + timedelta(days=5)):
        services.contest_task(field.tasks[0], "Not inspected", actor=field.member_user)
    with frozen_today(day0 + timedelta(days=10)):
        services.record_result(field.tasks[0], OK, actor=field.crew)
    planning_jobs.mark_overdue(db.session, day0 + timedelta(days=20))
    db.session.refresh(field.round)
    assert field.round.status == "completed"
    planning_jobs.mark_overdue(db.session, day0 + timedelta(days=24))
    db.session.refresh(field.round)
    assert field.round.status == "accepted"


# --- through the runner, with real commits -------------------------------------------------------


def test_purge_photos_and_send_digests_run_twice_through_the_runner(commit_db):
    from central.jobs.runner import run_job
    from tests.fieldwork.conftest import build_field

    world = build_field()
    for task in world.tasks:
        services.record_result(task, OK, actor=world.crew)
    old = photo_aged(world, world.tasks[0], 25)
    old_key = old.storage_key
    db.session.commit()
    first = run_job("purge-photos")
    second = run_job("purge-photos")
    assert first.status == second.status == JobStatus.SUCCEEDED, (first.error, second.error)
    assert first.counts["photos_deleted"] == 1 and second.counts["photos_deleted"] == 0
    assert not stored(old_key)
    first = run_job("send-digests")
    second = run_job("send-digests")
    assert first.status == second.status == JobStatus.SUCCEEDED, (first.error, second.error)
    assert first.counts["digests_sent"] >= 1 and second.counts["digests_sent"] == 0
