"""Browser, on a phone: the crew completes today's round for Izegem (one defect, one result
entered without a connection) and logs labour; the member sees the defect as a need and accepts
the round; the coordinator sees the progress."""

from __future__ import annotations

import re

from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.helpers import Tally, sign_in, sign_out

MEMBER = "Stad Izegem"
FRAMEWORK = "RSL-2025-BK-01"  # the demo's hydrant framework (the green one is beside it)


def todays_round(page: Page, live_server: str) -> str:
    """The URL of the smallest of today's rounds for Izegem on "my rounds"."""
    page.get_by_role("link", name="My rounds").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My rounds")
    cards = page.locator("section[aria-labelledby='today'] a.round-card").filter(has_text=MEMBER)
    expect(cards.first).to_be_visible()
    best, fewest = None, None
    for index in range(cards.count()):
        card = cards.nth(index)
        tasks = int(re.search(r"(\d+) tasks?", card.inner_text()).group(1))
        if fewest is None or tasks < fewest:
            best, fewest = card.get_attribute("href"), tasks
    return f"{live_server}{best}"


def answer_checklist(page: Page, failing: str | None = None) -> None:
    """Tap Pass on every pass/fail item (Fail on `failing`) and give the pressure reading."""
    for group in page.locator("fieldset.choice-group").all()[1:]:
        name = group.locator("input.choice-input").first.get_attribute("name")
        choice = "fail" if name == f"check_{failing}" else "pass"
        group.locator(f"label[for$='-{0 if choice == 'pass' else 1}']").click()
    page.get_by_label("Statische druk (bar)").fill("3,2")


def record(page: Page, result: str, failing: str | None = None, note: str = "") -> None:
    page.locator("label.choice-label", has_text=result).first.click()
    answer_checklist(page, failing)
    if note:
        page.get_by_label("Note").fill(note)
    page.get_by_role("button", name="Save result").click()


def test_crew_member_and_coordinator_journey_on_a_phone(
    phone_page: Page, live_server: str, shot, assert_accessible
):
    page = phone_page
    # --- the crew ---------------------------------------------------------------------------
    sign_in(page, live_server, "provider")
    crew = Tally(page)
    round_url = todays_round(page, live_server)
    assert_accessible(page)
    shot(page, "fieldwork-my-rounds-phone")
    page.goto(round_url)
    expect(page.locator("[data-route-map] .leaflet-marker-icon").first).to_be_visible()
    assert page.locator("a[href^='geo:']").count() >= 1
    assert_accessible(page)
    shot(page, "fieldwork-round-phone")
    tasks = page.locator("li.task-stop")
    count = tasks.count()
    assert count >= 2

    for index in range(count):
        page.goto(round_url)
        page.locator("li.task-stop").nth(index).get_by_role("link", name="Record result").click()
        expect(page.get_by_role("button", name="Save result")).to_be_visible()
        if index == 0:
            assert_accessible(page)
            record(page, "Defect", failing="valve_operation", note="Valve stuck, cannot open")
            page.wait_for_url(re.compile(r"/field/rounds/\d+"))  # saved: back on the round
            page.wait_for_load_state()
            shot(page, "fieldwork-defect-recorded-phone")
        elif index == 1:
            # No connection: the result is kept on the phone and sent when it returns.
            page.context.set_offline(True)
            record(page, "OK")
            expect(page.locator("form[data-api] [data-form-notice]")).to_contain_text(
                "kept on this phone"
            )
            queued = page.evaluate(
                "() => JSON.parse(localStorage.getItem('central.fieldwork.outbox')).length"
            )
            assert queued == 1
            shot(page, "fieldwork-offline-phone")
            page.context.set_offline(False)
            page.wait_for_url(re.compile(r"/field/rounds/\d+"))
        else:
            record(page, "OK")
        page.wait_for_url(re.compile(r"/field/rounds/\d+"))
    page.goto(round_url)
    expect(page.locator("dl.facts")).to_contain_text("Done, waiting for acceptance")
    assert page.evaluate("() => localStorage.getItem('central.fieldwork.outbox')") == "[]"

    labour = page.locator("form.labour-form")
    labour.get_by_label("Hours worked by the crew").fill("7,5")
    labour.get_by_label("Of which by target-group workers").fill("5")
    labour.get_by_label("Number of target-group workers").fill("1")
    labour.get_by_role("button", name="Save labour").click()
    expect(page.locator(".table-wrap").last).to_contain_text("7.50")
    shot(page, "fieldwork-labour-phone")
    round_id = round_url.rstrip("/").rsplit("/", 1)[1]
    crew.done("provider: crew records today's round, a defect and labour", "phone", budget=49)
    sign_out(page)

    # --- the member -------------------------------------------------------------------------
    sign_in(page, live_server, "member")
    page.get_by_role("link", name="To accept").first.click()
    card = page.locator(f"a.round-card[href$='/field/rounds/{round_id}']")
    expect(card).to_be_visible()
    assert_accessible(page)
    card.click()
    expect(page.get_by_text("Valve stuck, cannot open").first).to_be_visible()
    need_link = page.get_by_role("link", name=re.compile(r"Follow-up need \d+"))
    expect(need_link).to_have_count(1)
    assert_accessible(page)
    shot(page, "fieldwork-member-review-phone")
    need_link.click()
    expect(page.locator("main")).to_contain_text("Valve stuck, cannot open")
    page.go_back()
    page.get_by_role("link", name="Accept the round").click()
    assert_accessible(page)
    page.get_by_role("button", name="Yes, accept the round").click()
    expect(page.locator(".flashes")).to_contain_text(f"Round {round_id} accepted")
    page.goto(f"{live_server}/field/rounds/{round_id}")
    expect(page.locator("dl.facts")).to_contain_text("Accepted")
    shot(page, "fieldwork-member-accepted-phone")
    sign_out(page)

    # --- the coordinator --------------------------------------------------------------------
    sign_in(page, live_server, "coordinator")
    progress = Tally(page)
    page.get_by_role("link", name="Field work").first.click()
    page.locator("a.round-card", has_text=FRAMEWORK).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Progress of")
    row = page.locator("table.progress-table tr", has_text=MEMBER)
    expect(row).to_be_visible()
    assert_accessible(page)
    shot(page, "fieldwork-coordinator-progress-phone")
    progress.done("coordinator: a member's progress", "phone", budget=3)


def test_a_crew_opens_the_next_task_and_records_it_without_a_connection(
    phone_page: Page, live_server: str, shot, tmp_path
):
    page = phone_page
    sign_in(page, live_server, "provider")
    page.get_by_role("link", name="My rounds").first.click()
    # The round kept for offline work (late, today's, this week's) with the most open tasks,
    # whatever the journey above has done.
    cards = page.locator("a.round-card[data-offline]")
    expect(cards.first).to_be_visible()
    left = []
    for i in range(cards.count()):
        done, total = re.search(r"(\d+) of (\d+) done", cards.nth(i).inner_text()).groups()
        left.append(int(total) - int(done))
    assert max(left) > 0
    cards.nth(left.index(max(left))).click()
    # The service worker has fetched the round's task pages ahead.
    expect(page.locator("html[data-offline-ready]")).to_have_count(1, timeout=20_000)
    page.context.set_offline(True)
    # A page that was never opened cannot come (the phone, its service worker too, is offline) ...
    never = page.evaluate(
        "() => fetch('/field/tasks/99999999').then(r => r.status, () => 'unreachable')"
    )
    assert never == "unreachable"
    # ... but the round's next task does, from the phone's cache.
    page.get_by_role("link", name=re.compile(r"^Record result")).first.click()
    task_url = page.url
    expect(page.get_by_role("button", name="Save result")).to_be_visible()
    record(page, "OK")
    expect(page.locator("form[data-api] [data-form-notice]")).to_contain_text("kept on this phone")
    # A photo cannot wait on the phone: the page says so instead of failing.
    photo = tmp_path / "valve.jpg"
    Image.new("RGB", (64, 48), (0, 90, 160)).save(photo, "JPEG")
    page.set_input_files("input[type='file']", str(photo))
    page.get_by_role("button", name="Add photo").click()
    expect(page.locator("form[data-needs-connection] [data-form-notice]")).to_contain_text(
        "needs a connection"
    )
    shot(page, "fieldwork-offline-next-task-phone")
    page.context.set_offline(False)
    page.wait_for_url(re.compile(r"/field/rounds/\d+"))
    assert page.evaluate("() => localStorage.getItem('central.fieldwork.outbox')") == "[]"
    task_id = task_url.rstrip("/").rsplit("/", 1)[1]
    expect(page.locator(f"li.task-stop[data-task-id='{task_id}']")).to_contain_text("OK")
    assert "central-field-pages-v1" in page.evaluate("() => caches.keys()")
    # Signing out forgets the pages kept on this phone.
    sign_out(page)
    page.wait_for_function("() => caches.keys().then(k => !k.includes('central-field-pages-v1'))")
