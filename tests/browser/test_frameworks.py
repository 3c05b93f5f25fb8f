"""Browser: the coordinator builds and activates a framework, a member accedes (on a phone), the
coordinator approves and reads the consumption report (the coordinator's journey of issue 8); the
demo framework page is accessible and shows spend as a meter."""

from playwright.sync_api import expect

from tests.browser.helpers import Tally, sign_in


def choose_framework(page, reference):
    select = page.locator("select#framework")
    select.select_option(select.locator("option", has_text=reference).get_attribute("value"))


def test_coordinator_creates_and_activates_member_accedes_coordinator_approves(
    page, phone_page, live_server, shot, assert_accessible
):
    def check(name, on=page):
        """Every page of the walk: axe-core, then a screenshot."""
        assert_accessible(on)
        shot(on, f"walk-framework-{name}")

    sign_in(page, live_server, "coordinator")
    set_up = Tally(page)
    page.get_by_role("link", name="Frameworks", exact=True).first.click()
    check("01-list")
    page.get_by_role("link", name="New framework").click()
    page.get_by_label("Reference", exact=True).fill("RSL-2026-GR-01")
    page.get_by_label("Title").fill("Groenonderhoud rond brandkranen")
    page.get_by_label("Reserved for the social economy (art. 15)").check()
    page.get_by_label("Start date").fill("2026-01-01")
    page.get_by_label("End date").fill("2029-12-31")
    page.get_by_label("Estimated value (EUR, excl. VAT)").fill("40,000.00")
    page.get_by_label("Maximum value (EUR, excl. VAT)").fill("50,000.00")
    page.get_by_label("Procedure", exact=True).select_option("open")
    page.get_by_label("CPV codes").fill("77310000-6")
    page.get_by_label("Notice references").fill("BDA 2025-512345")
    page.get_by_label("Date of the award decision").fill("2025-11-14")
    page.get_by_label("Last day of the standstill period").fill("2025-12-01")
    check("02-form")
    page.get_by_role("button", name="Save").click()
    # Each saved step lands on the next step's form (no "Add a ..." link to look for).
    expect(page.get_by_text("RSL-2026-GR-01 is saved.")).to_be_visible()
    check("04-lot-form")
    page.get_by_label("Title").fill("Vrijmaken van brandkranen")
    page.get_by_label("Service type").fill("green_maintenance")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_label("What is checked, row 1")).to_be_visible()
    page.get_by_label("Code").fill("clearing")
    page.get_by_label("Name").fill("Brandkraan vrijmaken")
    page.get_by_label("What is checked, row 1").fill("Hydrant free and visible")
    check("05-task-type-form")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_label("Unit price (EUR, excl. VAT)")).to_be_visible()
    check("06-price-form")
    page.get_by_label("Unit price (EUR, excl. VAT)").fill("7.80")
    page.get_by_label("Valid from").fill("2026-01-01")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_label("Capacity (tasks a week)")).to_be_visible()
    check("07-award-form")
    page.get_by_label("Provider").select_option(
        label="De Kraanwerkers LDE vzw — Local service economy (LDE)"
    )
    page.get_by_label("Capacity (tasks a week)").fill("80")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_label("Stad Izegem")).to_be_visible()
    check("08-beneficiaries")
    page.get_by_label("Stad Izegem").check()
    page.get_by_role("button", name="Name them").click()

    # The draft is complete: its activation page, one confirmation away.
    expect(page.get_by_role("button", name="Yes, activate")).to_be_visible()
    check("10-activate")
    page.get_by_role("button", name="Yes, activate").click()
    assert "is active" in page.content()
    check("11-active")
    set_up.done(
        "coordinator: sets up and activates a framework (lot, task type, price, award, "
        "beneficiary)",
        "desktop",
        budget=11,
    )

    # The member, on its phone, while the coordinator stays signed in on the desktop.
    member = phone_page
    sign_in(member, live_server, "member")
    accede = Tally(member)
    member.goto(f"{live_server}/frameworks")
    check("12-member-list-phone", member)
    member.get_by_role("link", name="RSL-2026-GR-01").click()
    check("13-member-framework-phone", member)
    member.get_by_role("link", name="Request accession").click()
    member.get_by_label("1. Vrijmaken van brandkranen").check()
    member.get_by_label("Order reference or budget key").fill("IZG 2026/0871")
    check("14-accede-phone", member)
    member.get_by_role("button", name="Send the request").click()
    assert "sent to the coordinator" in member.content()
    check("15-requested-phone", member)
    accede.done("member: asks to join a framework", "phone", budget=5)
    accession_url = member.url

    approve = Tally(page)
    page.goto(accession_url)  # the link in the coordinator's e-mail
    check("16-coordinator-accession")
    page.get_by_role("link", name="Approve").click()
    check("17-decide")
    page.get_by_role("button", name="Yes, approve").click()
    assert "approved" in page.content()
    check("18-approved")
    approve.done("coordinator: approves an accession", "desktop", budget=3)

    page.locator("nav.main-nav a[href='/reports']").click()
    check("19-reports")
    page.locator("a.card[href='/reports/consumption']").click()
    choose_framework(page, "RSL-2026-GR-01")
    page.locator("form.filters button[type='submit']").click()
    expect(page.locator("main h2").first).to_contain_text("RSL-2026-GR-01")
    check("20-consumption")


def test_demo_framework_page_is_accessible(page, live_server, shot, assert_accessible):
    sign_in(page, live_server, "coordinator")
    page.goto(f"{live_server}/frameworks")
    page.get_by_role("link", name="RSL-2025-BK-01").click()
    assert page.locator("meter#committed-meter").count() == 1
    assert "Inspectie en onderhoud brandkranen" in page.content()
    assert_accessible(page)
    shot(page, "framework-demo-coordinator")
    page.get_by_role("button", name="Nederlands").click()
    assert_accessible(page)
