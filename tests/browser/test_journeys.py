"""Browser journeys (issue 8) on the demo, on desktop and on a phone: the provider's crew completes
a round of Stad Izegem, the member accepts it, finds it on this month's statement and downloads
its statements.

The member's first steps (importing assets, a service plan) are in test_assets.py, the
coordinator's (a framework set up, its consumption report) in test_frameworks.py, today's round
on a phone (offline result, follow-up need, coordinator progress) in test_fieldwork.py and the
reports in test_reports.py.
Every page passed is checked with axe-core and saved as a screenshot. The interface is switched to
English where the test reads text; pages are found by href, ids and names.
"""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import Tally, sign_in, sign_out

# The demo (central/fieldwork/demo.py) holds Izegem rounds in every state. Today's round is
# test_fieldwork.py's; here the phone crew takes the overdue round (part done) and the desktop
# run next week's untouched round.
ROUND_SECTION = {"phone": "late", "desktop": "later"}
# Clicks/taps plus typed addresses each role's job may take (measured; README "Usability").
BUDGET = {
    "crew": {"desktop": 43, "phone": 27},  # the rounds differ: a checklist tap per item
    "member": {"desktop": 12, "phone": 12},
}


def _device_page(request, device):
    return request.getfixturevalue("phone_page" if device == "phone" else "page")


def _record(page, *, result, reading="4.5", fail=(), note="", category=""):
    """Fill the open task page's result form and send it; back on the round page."""
    form = page.locator("form.result-form")
    form.locator(f"input[name='result'][value='{result}']").check(force=True)
    for radio in form.locator("input[type='radio'][name^='check_'][value='pass']").all():
        name = radio.get_attribute("name")
        value = "fail" if name.removeprefix("check_") in fail else "pass"
        form.locator(f"input[name='{name}'][value='{value}']").check(force=True)
    for reading_input in form.locator("input[type='text'][name^='check_']").all():
        reading_input.fill(reading)
    form.locator("[name='defect_category']").fill(category)
    form.locator("[name='notes']").fill(note)
    form.locator("button[type='submit']").click()
    page.wait_for_url(re.compile(r"/field/rounds/\d+"))


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_crew_completes_a_round_member_accepts_it_and_downloads_statements(
    device, request, live_server, shot, assert_accessible
):
    page = _device_page(request, device)

    def check(name):
        assert_accessible(page)
        shot(page, f"journey-{device}-{name}")

    # --- the provider's crew -------------------------------------------------------------------
    sign_in(page, live_server, "provider")
    crew = Tally(page)
    check("01-provider-home")
    page.locator("nav.main-nav a[href='/field/rounds']").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My rounds")
    check("02-my-rounds")
    section = page.locator(f"section[aria-labelledby='{ROUND_SECTION[device]}']")
    cards = section.locator("a.round-card", has_text="Stad Izegem")
    cards.filter(has_not_text="contested").first.click()
    page.wait_for_url(re.compile(r"/field/rounds/\d+$"))
    round_id = int(re.search(r"/field/rounds/(\d+)", page.url).group(1))
    to_record = page.locator("ol.task-stops a[href^='/field/tasks/']", has_text="Record result")
    open_tasks = to_record.count()
    assert open_tasks >= 2
    check("03-round")

    for number in range(open_tasks):
        to_record.first.click()
        if number == 0:
            check("04-task")
            # The first open stop: a defect, a failed item and a note (a follow-up need).
            _record(
                page, result="defect", fail=("lid_frame",), note="Deksel gebarsten", category="lid"
            )
        else:
            _record(page, result="ok")
    expect(page.locator("ol.task-stops a", has_text="Record result")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Follow-up need logged for the member.")

    labour = page.locator("form.labour-form")
    labour.locator("[name='hours']").fill("6.25")
    labour.locator("[name='target_group_hours']").fill("4.75")
    labour.locator("[name='target_group_workers']").fill("2")
    labour.locator("button[type='submit']").click()
    # Sent by the page's script, which then reloads the round page.
    expect(page.locator("#labour ~ .table-wrap tbody tr", has_text="6.25")).to_have_count(1)
    page.wait_for_load_state()
    expect(page.locator("dl.facts .badge").first).to_have_class(re.compile("badge-completed"))
    check("05-round-completed")
    crew.done("provider: crew records a round", device, budget=BUDGET["crew"][device])
    sign_out(page)

    # --- the member ----------------------------------------------------------------------------
    sign_in(page, live_server, "member")
    member = Tally(page)
    check("06-member-home")
    page.locator("nav.main-nav a[href='/field/acceptance']").click()
    check("07-to-accept")
    page.locator(f"a.round-card[href='/field/rounds/{round_id}']").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Round {round_id}")
    check("08-review")
    page.locator(f"a[href='/field/rounds/{round_id}/accept']").click()
    check("09-accept")
    page.locator("form.actions button[type='submit']").click()
    expect(page.locator(".flash-success")).to_contain_text(f"Round {round_id} accepted")
    expect(page.locator(f"section[aria-labelledby='accepted'] a[href='/field/rounds/{round_id}']"))
    check("10-accepted")

    # This month's statement holds the accepted round; download it as CSV.
    page.locator("nav.main-nav a[href='/reports']").click()
    check("11-reports")
    this_month = page.evaluate("() => new Date().toISOString().slice(0, 7)")
    page.goto(f"{live_server}/reports/statement?month={this_month}")
    check("12-month-statement")
    with page.expect_download() as download:
        page.locator("a[download][href*='format=csv']").click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if ";" in text[:200] else ","))
    assert len(rows) >= 2, text

    # The issued statements of earlier months: open one and download it.
    page.locator("nav.main-nav a[href='/statements']").click()
    check("13-statements")
    page.locator("a[href^='/statements/']").first.click()
    check("14-statement")
    for kind in ("csv", "xlsx", "ubl"):
        with page.expect_download() as download:
            page.locator(f"a[download][href*='format={kind}']").click()
        assert download.value.path().stat().st_size > 0
    member.done(
        "member: accepts a round, downloads statements", device, budget=BUDGET["member"][device]
    )
