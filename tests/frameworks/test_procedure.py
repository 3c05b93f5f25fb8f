"""The procedure on record (SPEC 7.2): procedure, CPV 2008 codes checked against the official
list, notice references, award decision date and standstill end; all needed to activate (409,
every missing part named at once); a maximum that reaches the EU threshold needs an EU-published
procedure with its EU notice and a standstill that has ended; a running framework may complete
an empty record but never change it; audited; shown on the pages; published in OCDS."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from central.core.audit import AuditEvent
from central.core.clock import frozen_today
from central.core.errors import Conflict, ValidationError
from central.extensions import db
from central.frameworks import cpv, services
from tests.conftest import csrf_token, use_english
from tests.factories import (
    make_active_framework,
    make_award,
    make_framework,
    make_lot,
    make_org,
    make_price,
    make_task_type,
    make_token,
    make_user,
    name_beneficiaries,
)
from tests.reports.validation import ocds_errors

TODAY = date(2026, 3, 4)
NO_PROCEDURE = {
    "procedure": None,
    "cpv_codes": [],
    "notice_references": [],
    "award_decision_date": None,
    "standstill_end": None,
}
OPEN = {
    "procedure": "open",
    "cpv_codes": ["50413200-5", "71631000-0"],
    "notice_references": ["123456-2025", "BDA 2025-512345"],
    "award_decision_date": date(2026, 2, 2),
    "standstill_end": date(2026, 2, 18),
}


@pytest.fixture(autouse=True)
def today():
    with frozen_today(TODAY):
        yield


def ready_draft(**values):
    """A draft with everything but (by default) the procedure on record."""
    draft = make_framework(**{**NO_PROCEDURE, **values})
    lot = make_lot(draft)
    make_price(make_task_type(lot))
    make_award(lot)
    name_beneficiaries(draft, make_org("authority"))
    draft.coordinator = make_user("coordinator", draft.lead_organisation)
    db.session.flush()
    return draft


def activation_refusal(draft) -> list[str]:
    with pytest.raises(Conflict) as exc:
        services.activate_framework(draft, actor=draft.coordinator)
    return [str(text) for text in exc.value.fields["activation"]]


# --- the vendored list ---------------------------------------------------------------------------


def test_the_cpv_list_is_the_whole_2008_vocabulary():
    vocabulary = cpv.vocabulary()
    assert len(vocabulary) == 9454
    assert all(cpv.is_well_formed(code) for code in vocabulary)
    assert len({code[:2] for code in vocabulary}) == 45  # the 45 divisions
    assert cpv.label("50413200-5") == "Repair and maintenance services of firefighting equipment"
    assert cpv.label("03000000-1").startswith("Agricultural, farming")
    assert cpv.label("50413200-4") is None  # a wrong check digit is not a code


# --- activation ----------------------------------------------------------------------------------


def test_activation_names_every_missing_part_of_the_procedure_at_once():
    draft = ready_draft()
    problems = activation_refusal(draft)
    assert problems == [
        "Record the procedure by which the framework was awarded.",
        "Give at least one CPV code (the main object first).",
        "Record the date of the award decision.",
        "Record the last day of the standstill period.",
    ]
    assert draft.status == "draft"


def test_a_published_procedure_needs_its_notice():
    draft = ready_draft(
        **{**OPEN, "notice_references": []},
        estimated_value=Decimal("90000.00"),
        max_value=Decimal("100000.00"),
    )
    assert activation_refusal(draft) == [
        "Give the reference of the notice that published the procedure."
    ]


def test_a_framework_with_its_procedure_on_record_activates():
    draft = ready_draft(**OPEN)
    services.activate_framework(draft, actor=draft.coordinator)
    assert draft.status == "active"


def test_an_award_decision_still_to_come_keeps_the_framework_a_draft():
    draft = ready_draft(
        **{**OPEN, "award_decision_date": date(2026, 3, 10), "standstill_end": date(2026, 3, 26)}
    )
    problems = activation_refusal(draft)
    assert "The award decision date is still to come." in problems


# --- the EU threshold ----------------------------------------------------------------------------


def test_at_the_eu_threshold_a_negotiation_without_publication_is_refused(app):
    assert Decimal(app.config["EU_SERVICES_THRESHOLD"]) == Decimal("216000.00")
    draft = ready_draft(
        procedure="negotiated_without_publication",
        cpv_codes=["50413200-5"],
        award_decision_date=date(2026, 2, 2),
        standstill_end=date(2026, 2, 18),
        estimated_value=Decimal("200000.00"),
        max_value=Decimal("216000.00"),  # reaches the threshold
    )
    (problem,) = activation_refusal(draft)
    assert "reaches the EU threshold for services (216000.00 EUR)" in problem
    assert "published at EU level" in problem


def test_below_the_eu_threshold_a_negotiation_without_publication_needs_no_notice():
    draft = ready_draft(
        procedure="negotiated_without_publication",
        cpv_codes=["50413200-5"],
        award_decision_date=date(2026, 2, 2),
        standstill_end=date(2026, 3, 20),  # a standstill still running is not this rule's
        estimated_value=Decimal("150000.00"),
        max_value=Decimal("215999.99"),
    )
    services.activate_framework(draft, actor=draft.coordinator)
    assert draft.status == "active"


def test_at_the_eu_threshold_the_notice_must_be_the_eu_one(app):
    draft = ready_draft(**{**OPEN, "notice_references": ["BDA 2025-512345"]})
    (problem,) = activation_refusal(draft)
    assert "give the reference of the EU notice (TED)" in problem
    for reference in ("2025/S 012-034567", "123456-2025"):
        draft.notice_references = ["BDA 2025-512345", reference]
        assert services.procedure_problems(draft) == []


def test_the_threshold_comes_from_the_configuration(app):
    draft = ready_draft(**{**OPEN, "notice_references": ["BDA 2025-512345"]})
    app.config["EU_SERVICES_THRESHOLD"] = "750000.00"
    try:
        assert services.procedure_problems(draft) == []
    finally:
        app.config["EU_SERVICES_THRESHOLD"] = "216000.00"


def test_at_the_eu_threshold_the_standstill_must_have_ended():
    draft = ready_draft(**{**OPEN, "standstill_end": TODAY})
    (problem,) = activation_refusal(draft)
    assert "The standstill period runs until" in problem
    with frozen_today(date(2026, 3, 5)):  # the day after its last day
        services.activate_framework(draft, actor=draft.coordinator)
    assert draft.status == "active"


# --- writing the record --------------------------------------------------------------------------


def coordinator_of(framework):
    return make_user("coordinator", framework.lead_organisation)


def test_cpv_codes_are_checked_against_the_official_list():
    draft = make_framework(**NO_PROCEDURE)
    actor = coordinator_of(draft)
    with pytest.raises(ValidationError) as exc:
        services.update_framework(
            draft, {"cpv_codes": ["50413200-4", "5041320-05", "abc"]}, actor=actor
        )
    message = str(exc.value.fields["cpv_codes"][0])
    assert "Not a CPV code (8 digits, a dash and the check digit" in message
    assert "5041320-05, abc" in message
    assert "Not in the CPV 2008 list: 50413200-4" in message
    assert draft.cpv_codes == []
    with pytest.raises(ValidationError) as exc:
        services.update_framework(draft, {"cpv_codes": ["50413200-5", "50413200-5"]}, actor=actor)
    assert exc.value.fields["cpv_codes"] == ["Each one only once."]
    services.update_framework(draft, {"cpv_codes": [" 50413200-5 ", "71631000-0"]}, actor=actor)
    assert draft.cpv_codes == ["50413200-5", "71631000-0"]


def test_every_error_of_the_record_at_once():
    draft = make_framework(**NO_PROCEDURE)
    with pytest.raises(ValidationError) as exc:
        services.update_framework(
            draft,
            {
                "procedure": "direct_award",
                "cpv_codes": ["12345678-9"],
                "notice_references": ["x" * 101],
                "award_decision_date": "2026-02-20",
                "standstill_end": "2026-02-10",
            },
            actor=coordinator_of(draft),
        )
    assert set(exc.value.fields) == {
        "procedure",
        "cpv_codes",
        "notice_references",
        "standstill_end",
    }
    assert exc.value.fields["standstill_end"] == ["Not before the award decision date."]


def test_a_running_framework_completes_an_empty_record_but_never_changes_it():
    framework = make_active_framework(**NO_PROCEDURE)
    actor = coordinator_of(framework)
    services.update_framework(framework, OPEN, actor=actor)
    assert framework.procedure == "open"
    event = db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "framework.updated")
        .order_by(AuditEvent.id.desc())
    )
    assert "procedure" in event.data["fields"]
    assert event.data["values"]["cpv_codes"] == ["50413200-5", "71631000-0"]
    for values in (
        {"procedure": "restricted"},
        {"cpv_codes": ["50413200-5"]},
        {"standstill_end": "2026-02-20"},
    ):
        with pytest.raises(Conflict):
            services.update_framework(framework, values, actor=actor)
    assert framework.procedure == "open"
    assert framework.cpv_codes == ["50413200-5", "71631000-0"]


# --- API, pages, OCDS ----------------------------------------------------------------------------


def call(client, user, method, path, language="en", **kwargs):
    headers = {"Authorization": f"Bearer {make_token(user)}", "Accept-Language": language}
    return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)


def test_the_api_refuses_activation_with_what_is_missing_and_reads_the_record(client):
    draft = ready_draft()
    db.session.commit()
    refused = call(client, draft.coordinator, "POST", f"/frameworks/{draft.id}/activate")
    assert refused.status_code == 409, refused.json
    assert len(refused.json["error"]["fields"]["activation"]) == 4
    assert "CPV" in refused.json["error"]["message"]
    bad = call(
        client,
        draft.coordinator,
        "PATCH",
        f"/frameworks/{draft.id}",
        language="nl",
        json={"cpv_codes": ["50413200-4"]},
    )
    assert bad.status_code == 400
    assert "CPV 2008-lijst" in bad.json["error"]["fields"]["cpv_codes"][0]
    saved = call(
        client,
        draft.coordinator,
        "PATCH",
        f"/frameworks/{draft.id}",
        json={
            "procedure": "open",
            "cpv_codes": ["50413200-5"],
            "notice_references": ["123456-2025"],
            "award_decision_date": "2026-02-02",
            "standstill_end": "2026-02-18",
        },
    )
    assert saved.status_code == 200, saved.json
    assert saved.json["cpv"] == [
        {"code": "50413200-5", "label": "Repair and maintenance services of firefighting equipment"}
    ]
    activated = call(client, draft.coordinator, "POST", f"/frameworks/{draft.id}/activate")
    assert activated.status_code == 200, activated.json


def test_the_openapi_document_describes_the_record(client):
    schema = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    framework = next(s for name, s in schema.items() if name.startswith("Framework"))
    properties = framework["properties"]
    assert properties["procedure"]["enum"][:2] == ["open", "restricted"]
    assert "Regulation (EC) 213/2008" in properties["cpv_codes"]["description"]
    for name in ("notice_references", "award_decision_date", "standstill_end"):
        assert name in properties


def test_the_form_keeps_the_record_and_the_page_shows_the_labels(client, login_as):
    draft = make_framework(**NO_PROCEDURE, reference="RSL-2026-PR-01")
    user = coordinator_of(draft)
    db.session.commit()
    login_as(user)
    page = client.get(f"/frameworks/{draft.id}/edit").get_data(as_text=True)
    assert "Procedure" in page and "CPV-codes" in page
    form = {
        "csrf_token": csrf_token(client),
        "reference": draft.reference,
        "title": draft.title,
        "start_date": "2025-01-01",
        "end_date": "2028-12-31",
        "estimated_value": "400.000,00",
        "max_value": "500.000,00",
        "social_target_percent": "15",
        "procedure": "open",
        "cpv_codes": "50413200-5, 50413200-4\n1234",
        "notice_references": "123456-2025\nBDA 2025-512345",
        "award_decision_date": "2026-02-02",
        "standstill_end": "2026-01-18",
    }
    refused = client.post(f"/frameworks/{draft.id}/edit", data=form)
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert "1234" in text and "50413200-4" in text  # both wrong codes named, in one message
    assert "Niet vóór de datum van de gunningsbeslissing" in text
    db.session.refresh(draft)
    assert draft.cpv_codes == []
    form.update(cpv_codes="50413200-5\n71631000-0", standstill_end="2026-02-18")
    saved = client.post(f"/frameworks/{draft.id}/edit", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    db.session.refresh(draft)
    assert draft.cpv_codes == ["50413200-5", "71631000-0"]
    assert draft.notice_references == ["123456-2025", "BDA 2025-512345"]
    shown = client.get(f"/frameworks/{draft.id}").get_data(as_text=True)
    assert "Openbare procedure (art. 36)" in shown
    assert "Repair and maintenance services of firefighting equipment" in shown
    assert "2 feb 2026" in shown
    use_english(client)
    edit = client.get(f"/frameworks/{draft.id}/edit").get_data(as_text=True)
    assert "50413200-5\n71631000-0" in edit


def test_ocds_publishes_procedure_cpv_items_and_reservation(client):
    framework = make_active_framework(
        **OPEN, reserved=True, max_value=Decimal("500000.00"), reference="RSL-2026-OC-01"
    )
    db.session.commit()
    package = client.get(f"/api/v1/frameworks/{framework.id}/ocds").json
    assert ocds_errors(package) == []
    tender = package["releases"][0]["tender"]
    assert tender["procurementMethod"] == "open"
    assert tender["procurementMethodDetails"] == "Openbare procedure"
    (item,) = tender["items"]
    assert item["classification"] == {
        "scheme": "CPV",
        "id": "50413200",
        "description": "Repair and maintenance services of firefighting equipment",
    }
    assert [c["id"] for c in item["additionalClassifications"]] == ["71631000"]
    assert tender["otherRequirements"] == {"reservedParticipation": ["shelteredWorkshop"]}
    assert [d["title"] for d in tender["documents"]] == ["123456-2025", "BDA 2025-512345"]
    award = package["releases"][0]["awards"][0]
    assert award["date"] == "2026-02-02T00:00:00Z"


def test_a_negotiation_without_publication_is_a_limited_method_in_ocds(client):
    framework = make_active_framework(
        **{**OPEN, "procedure": "negotiated_without_publication", "notice_references": []}
    )
    db.session.commit()
    package = client.get(f"/api/v1/frameworks/{framework.id}/ocds").json
    assert ocds_errors(package) == []
    tender = package["releases"][0]["tender"]
    assert tender["procurementMethod"] == "limited"
    assert "documents" not in tender
    assert "otherRequirements" not in tender


def test_a_running_framework_completes_its_record_through_the_form(client, login_as):
    framework = make_active_framework(**NO_PROCEDURE, reference="RSL-2024-OLD-01")
    user = coordinator_of(framework)
    db.session.commit()
    login_as(user)
    page = client.get(f"/frameworks/{framework.id}/edit").get_data(as_text=True)
    assert "kan één keer aangevuld worden" in page
    form = {
        "csrf_token": csrf_token(client),
        "reference": framework.reference,
        "title": framework.title,
        "start_date": "2025-01-01",
        "end_date": "2028-12-31",
        "estimated_value": "400.000,00",
        "max_value": "500.000,00",
        "social_target_percent": "15",
        "procedure": "restricted",
        "cpv_codes": "50413200-5",
        "notice_references": "2024/S 190-571234",
        "award_decision_date": "2024-11-15",
        "standstill_end": "2024-12-02",
    }
    saved = client.post(f"/frameworks/{framework.id}/edit", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    db.session.refresh(framework)
    assert framework.procedure == "restricted"
    page = client.get(f"/frameworks/{framework.id}/edit").get_data(as_text=True)
    assert "kan één keer aangevuld worden" not in page
    changed = client.post(f"/frameworks/{framework.id}/edit", data={**form, "procedure": "open"})
    assert changed.status_code == 409
    db.session.refresh(framework)
    assert framework.procedure == "restricted"
