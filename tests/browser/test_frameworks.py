"""Browser: the coordinator builds and activates a framework, a member accedes, the coordinator
approves; the demo framework page is accessible and shows spend as a meter."""

from central.demo import DEMO_LOGINS

COORDINATOR = next(login for login in DEMO_LOGINS if login[2] == "coordinator")
MEMBER = next(login for login in DEMO_LOGINS if login[2] == "member")


def sign_in_english(page, live_server, email, password):
    page.goto(f"{live_server}/login")
    if page.locator("html").get_attribute("lang") != "en":
        page.get_by_role("button", name="English").click()
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if page.locator("html").get_attribute("lang") != "en":
        page.get_by_role("button", name="English").click()


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()


def test_coordinator_creates_and_activates_member_accedes_coordinator_approves(
    page, live_server, shot, assert_accessible
):
    sign_in_english(page, live_server, COORDINATOR[0], COORDINATOR[1])
    page.get_by_role("link", name="Frameworks", exact=True).first.click()
    assert_accessible(page)
    page.get_by_role("link", name="New framework").click()
    page.get_by_label("Reference").fill("RSL-2026-GR-01")
    page.get_by_label("Title").fill("Groenonderhoud rond brandkranen")
    page.get_by_label("Reserved for the social economy (art. 15)").check()
    page.get_by_label("Start date").fill("2026-01-01")
    page.get_by_label("End date").fill("2029-12-31")
    page.get_by_label("Estimated value (EUR, excl. VAT)").fill("40,000.00")
    page.get_by_label("Maximum value (EUR, excl. VAT)").fill("50,000.00")
    assert_accessible(page)
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("RSL-2026-GR-01")

    page.get_by_role("link", name="Add a lot").click()
    page.get_by_label("Title").fill("Vrijmaken van brandkranen")
    page.get_by_label("Service type").fill("green_maintenance")
    page.get_by_role("button", name="Save").click()

    page.get_by_role("link", name="Add a task type").click()
    page.get_by_label("Code").fill("clearing")
    page.get_by_label("Name").fill("Brandkraan vrijmaken")
    page.get_by_label("Checklist").fill("cleared|Hydrant free and visible|pass_fail")
    assert_accessible(page)
    page.get_by_role("button", name="Save").click()

    page.get_by_role("link", name="Add a price").click()
    page.get_by_label("Unit price (EUR, excl. VAT)").fill("7.80")
    page.get_by_label("Valid from").fill("2026-01-01")
    page.get_by_role("button", name="Save").click()

    page.get_by_role("link", name="Award to a provider").click()
    page.get_by_label("Provider").select_option(
        label="De Kraanwerkers LDE vzw — Local service economy (LDE)"
    )
    page.get_by_label("Capacity (tasks a week)").fill("80")
    page.get_by_role("button", name="Save").click()

    page.get_by_role("link", name="Name beneficiaries").click()
    page.get_by_label("Stad Izegem").check()
    page.get_by_role("button", name="Name them").click()

    page.get_by_role("link", name="Activate").click()
    assert_accessible(page)
    page.get_by_role("button", name="Yes, activate").click()
    assert "is active" in page.content()
    shot(page, "framework-activated")
    sign_out(page)

    sign_in_english(page, live_server, MEMBER[0], MEMBER[1])
    page.goto(f"{live_server}/frameworks")
    page.get_by_role("link", name="RSL-2026-GR-01").click()
    page.get_by_role("link", name="Request accession").click()
    page.get_by_label("1. Vrijmaken van brandkranen").check()
    page.get_by_label("Order reference or budget key").fill("IZG 2026/0871")
    assert_accessible(page)
    page.get_by_role("button", name="Send the request").click()
    assert "sent to the coordinator" in page.content()
    accession_url = page.url
    sign_out(page)

    sign_in_english(page, live_server, COORDINATOR[0], COORDINATOR[1])
    page.goto(accession_url)
    page.get_by_role("link", name="Approve").click()
    page.get_by_role("button", name="Yes, approve").click()
    assert "approved" in page.content()
    shot(page, "accession-approved")


def test_demo_framework_page_is_accessible(page, live_server, shot, assert_accessible):
    sign_in_english(page, live_server, COORDINATOR[0], COORDINATOR[1])
    page.goto(f"{live_server}/frameworks")
    page.get_by_role("link", name="RSL-2025-BK-01").click()
    assert page.locator("meter#committed-meter").count() == 1
    assert "Inspectie en onderhoud brandkranen" in page.content()
    assert_accessible(page)
    shot(page, "framework-demo-coordinator")
    page.get_by_role("button", name="Nederlands").click()
    assert_accessible(page)
