"""Browser: a member imports a CSV with errors, sees them by line, fixes the file and imports it;
finds the assets in the list and on the map; creates a service plan. Desktop and phone.

The interface is switched to English (header language button) because the test reads the error
table and the flash text; everything else is found by name, id or href.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import Tally, sign_in

HEADER = "code;kind;street;house_number;postcode;municipality;lat;lon;diameter_mm\n"

# Per device: asset codes and a service plan that does not clash with the demo's own plans.
DEVICES = {
    "desktop": {"prefix": "BT-D", "plan": ("minor_repair", "hydrant_pillar")},
    "phone": {"prefix": "BT-P", "plan": ("signage_plate_replacement", "hydrant_underground")},
}


def _rows(prefix: str, *, broken: bool) -> str:
    """Three hydrants in Izegem; the broken file has an unknown kind (line 3), a point in the
    North Sea (line 4) and a code twice (line 5)."""
    rows = [
        f"{prefix}-001;hydrant_underground;Kortrijkstraat;12;8870;Izegem;50,9141;3,2133;80",
        f"{prefix}-002;{'waterput' if broken else 'hydrant_pillar'};Meensestraat;4;8870;Izegem;"
        "50,9172;3,2051;100",
        f"{prefix}-003;hydrant_underground;Roeselarestraat;77;8870;Izegem;"
        f"{'52,4000' if broken else '50,9205'};3,2189;80",
    ]
    if broken:
        rows.append(rows[0])
    return HEADER + "\n".join(rows) + "\n"


def _upload(page, name: str, text: str) -> None:
    page.locator("input[name='file']").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode("utf-8")}]
    )
    page.locator("form[enctype='multipart/form-data'] button[type='submit']").click()


@pytest.mark.parametrize("device", list(DEVICES))
def test_member_imports_fixes_and_plans_its_inventory(
    device, request, live_server, shot, assert_accessible
):
    page = request.getfixturevalue("page" if device == "desktop" else "phone_page")
    prefix = DEVICES[device]["prefix"]
    task_code, kind = DEVICES[device]["plan"]
    sign_in(page, live_server, "member")
    job = Tally(page)

    page.locator("nav.main-nav a[href='/assets']").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Assets")
    assert_accessible(page)
    shot(page, f"assets-list-{device}")

    page.locator("a[href='/assets/import']").first.click()
    assert_accessible(page)
    _upload(page, "hydrants.csv", _rows(prefix, broken=True))
    problems = page.locator("section.error-summary")
    expect(problems).to_be_visible()
    lines = problems.locator("tbody tr td:first-child").all_inner_texts()
    assert {"3", "4", "5"} <= set(lines), lines
    assert "kind" in problems.inner_text().lower()
    assert_accessible(page)
    shot(page, f"assets-import-errors-{device}")

    _upload(page, "hydrants-fixed.csv", _rows(prefix, broken=False))
    preview = page.locator("section[aria-labelledby='preview-title']")
    expect(preview).to_be_visible()
    assert preview.locator("dd").first.inner_text() == "3"  # three new assets
    assert_accessible(page)
    shot(page, f"assets-import-preview-{device}")
    preview.locator("button[type='submit']").click()
    expect(page.locator(".flash-success")).to_contain_text("3 new")

    page.locator("input#q").fill(prefix)
    page.locator("form.filters button[type='submit']").click()
    codes = page.locator("tbody tr td:first-child a").all_inner_texts()
    assert codes == [f"{prefix}-001", f"{prefix}-002", f"{prefix}-003"]
    assert_accessible(page)
    shot(page, f"assets-list-imported-{device}")

    page.get_by_role("link", name=f"{prefix}-002").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{prefix}-002")
    assert_accessible(page)
    shot(page, f"asset-detail-{device}")

    page.goto(f"{live_server}/assets/map")
    marker = page.locator(f".leaflet-marker-icon[title^='{prefix}-003 ']")
    expect(marker).to_have_count(1)
    assert page.locator(".leaflet-marker-icon").count() > 100  # the demo's Izegem hydrants too
    assert_accessible(page)
    shot(page, f"assets-map-{device}")

    page.locator("nav.main-nav a[href='/service-plans']").click()
    assert_accessible(page)
    page.locator("a[href='/service-plans/new']").click()
    lot_task = page.locator("select[name='lot_task']")
    value = lot_task.locator(f"option[value$=':{task_code}']").get_attribute("value")
    lot_task.select_option(value)
    # The option ends with the task type's name, which the plans list shows.
    task_name = lot_task.locator(f"option[value='{value}']").inner_text().rsplit(" · ", 1)[-1]
    page.locator("select[name='asset_kind']").select_option(kind)
    page.locator("input[name='interval_months']").fill("24")
    page.locator("input[name='season_months'][value='4']").check()
    page.locator("input[name='season_months'][value='5']").check()
    assert_accessible(page)
    shot(page, f"service-plan-form-{device}")
    page.locator("form.form button[type='submit']").click()
    expect(page.locator(".flash-success")).to_be_visible()
    row = page.locator("tbody tr", has=page.locator(f"td:text-is('{task_name}')"))
    expect(row).to_have_count(1)
    assert "24 months" in row.inner_text()
    assert_accessible(page)
    shot(page, f"service-plans-{device}")
    job.done("member: imports, fixes and plans its hydrants", device, budget=13)
