"""Translated labels for stored values (roles, statuses), shown in the UI."""

from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "admin": _l("Platform administrator"),
    "coordinator": _l("Coordinator"),
    "member": _l("Member authority"),
    "provider": _l("Provider"),
    "viewer": _l("Viewer (fire zone or water company)"),
}
ORGANISATION_KIND_LABELS = {
    "authority": _l("Authority"),
    "provider": _l("Provider"),
    "fire_zone": _l("Fire zone"),
    "water_company": _l("Water company"),
}
# SPEC 7.4: an asset's service status, in words (pages show it with a shape or label too).
SERVICE_STATUS_LABELS = {
    "in_service": _l("In service"),
    "out_of_service": _l("Out of service"),
    "unknown": _l("Status unknown"),
}
STATUS_CHANGE_REASON_LABELS = {
    "task": _l("Task result"),
    "repair": _l("Marked repaired"),
    "public_report": _l("Public report triaged"),
    "member": _l("Set by the member"),
}
SOCIAL_STATUS_LABELS = {
    "none": _l("None"),
    "maatwerkbedrijf": _l("Custom-work company (maatwerkbedrijf)"),
    "lde": _l("Local service economy (LDE)"),
    "sociale_inschakeling": _l("Social integration enterprise"),
}
# SPEC 7.2: the legal grounds of a change during a framework's term (KB AUR art. 38 ff.).
CHANGE_KIND_LABELS = {
    "review_clause": _l("Review clause (art. 38)"),
    "provider_substitution": _l("New provider in the place of another (art. 38/3)"),
    "additional_services": _l("Additional services (art. 38/1)"),
    "unforeseen": _l("Unforeseen circumstances (art. 38/2)"),
    "de_minimis": _l("Minor change, de minimis (art. 38/4)"),
}
# SPEC 7.2: the procedures of the Act of 17 June 2016 (the OCDS export names them in Dutch).
PROCEDURE_LABELS = {
    "open": _l("Open procedure (art. 36)"),
    "restricted": _l("Restricted procedure (art. 37)"),
    "competitive_negotiation": _l("Competitive procedure with negotiation (art. 38)"),
    "negotiated_with_publication": _l("Negotiated procedure with prior publication (art. 41)"),
    "negotiated_without_publication": _l(
        "Negotiated procedure without prior publication (art. 42)"
    ),
}
FLASH_LABELS = {
    "error": _l("Error"),
    "success": _l("Done"),
    "info": _l("Note"),
    "warning": _l("Warning"),
}


# A task's result, in words (pages; the API keeps the codes).
RESULT_LABELS = {
    "ok": _l("OK"),
    "defect": _l("Defect"),
    "inaccessible": _l("Could not reach it"),
    "not_found": _l("Not found"),
}


def result_label(result: str | None) -> str:
    return str(RESULT_LABELS.get(result, result or ""))


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def social_status_label(status: str) -> str:
    return str(SOCIAL_STATUS_LABELS.get(status, status))


def flash_label(category: str) -> str:
    return str(FLASH_LABELS.get(category, FLASH_LABELS["info"]))


def service_status_label(status: str) -> str:
    return str(SERVICE_STATUS_LABELS.get(status, status))


def status_change_reason_label(reason: str) -> str:
    return str(STATUS_CHANGE_REASON_LABELS.get(reason, reason))


def organisation_kind_label(kind: str) -> str:
    return str(ORGANISATION_KIND_LABELS.get(kind, kind))


# What a job run counted (its `counts`), in words; the jobs page shows "label: value".
JOB_COUNT_LABELS = {
    # framework-status
    "checked": _l("frameworks checked"),
    "expired": _l("frameworks ended"),
    "alerts": _l("spending alerts"),
    "recognitions_expiring": _l("recognitions ending within 60 days reported"),
    "late_actions_alerted": _l("late social actions reported"),
    # generate-rounds
    "rounds": _l("rounds planned"),
    "tasks": _l("tasks planned"),
    "needs_planned": _l("needs planned"),
    "needs_waiting": _l("needs waiting"),
    "no_price": _l("without a price"),
    "tasks_over_maximum": _l("tasks held back (framework maximum)"),
    "frameworks_exhausted": _l("frameworks at their maximum"),
    "lots_full": _l("lots at their maximum"),
    # assign-rounds
    "assigned": _l("rounds assigned"),
    "assigned_late": _l("rounds assigned late"),
    "unassigned": _l("rounds without a provider"),
    "unassigned_round_ids": _l("rounds without a provider (numbers)"),
    "late_alerted": _l("late rounds reported"),
    "repriced": _l("rounds priced at the provider's own price"),
    "passed_over_unrecognised": _l("reserved rounds passed down (no recognition that day)"),
    # mark-overdue
    "overdue": _l("rounds overdue"),
    "auto_accepted": _l("rounds accepted automatically"),
    "tasks_accepted": _l("tasks accepted"),
    # issue-statements
    "issued": _l("statements issued"),
    "numbers": _l("numbers"),
    "month": _l("month"),
    # send-digests
    "users": _l("users"),
    "changes": _l("changes"),
    "digests_sent": _l("digests sent"),
    # purge-photos
    "photos_deleted": _l("photos deleted"),
    "files_missing": _l("files already gone"),
    "idempotency_keys_deleted": _l("old retry keys deleted"),
    # send-mail
    "sent": _l("e-mails sent"),
    "logged": _l("e-mails written to the log"),
    "retry_later": _l("e-mails to try again"),
    "failed": _l("e-mails given up"),
}
# The kinds of object the audit trail records (their table names), in words.
AUDIT_OBJECT_LABELS = {
    "system": _l("Platform"),
    "accession_lots": _l("Lot of an accession"),
    "accessions": _l("Accessions"),
    "api_tokens": _l("API tokens"),
    "asset_kinds": _l("Asset kinds"),
    "asset_status_changes": _l("Service status changes"),
    "assets": _l("Assets"),
    "awards": _l("Awards"),
    "closures": _l("Closed days"),
    "credits": _l("Credits"),
    "crews": _l("Crews"),
    "external_social_spends": _l("Social spend outside the platform"),
    "fieldwork_settings": _l("Field work settings"),
    "framework_alerts": _l("Spending alerts"),
    "framework_beneficiaries": _l("Beneficiaries"),
    "frameworks": _l("Frameworks"),
    "job_runs": _l("Job runs"),
    "labour_days": _l("Labour days"),
    "labour_entries": _l("Labour"),
    "lots": _l("Lots"),
    "maintenance_budgets": _l("Maintenance budgets"),
    "needs": _l("Needs"),
    "organisations": _l("Organisations"),
    "outgoing_mails": _l("E-mails"),
    "price_lines": _l("Prices"),
    "recovery_codes": _l("Recovery codes"),
    "rounds": _l("Rounds"),
    "service_plans": _l("Service plans"),
    "statement_lines": _l("Statement lines"),
    "statements": _l("Statements"),
    "task_contests": _l("Contested tasks"),
    "task_photos": _l("Photos"),
    "task_results": _l("Task results"),
    "task_types": _l("Task types"),
    "tasks": _l("Tasks"),
    "totp_credentials": _l("Two-factor sign-in"),
    "user_sessions": _l("Sign-in sessions"),
    "users": _l("Users"),
}


# Rounds and tasks as the office pages name them ...
ROUND_STATUS_LABELS = {
    "planned": _l("Not yet assigned"),
    "assigned": _l("Assigned"),
    "in_progress": _l("In progress"),
    "completed": _l("Completed"),
    "accepted": _l("Accepted"),
    "overdue": _l("Overdue"),
    "cancelled": _l("Cancelled"),
}
TASK_STATUS_LABELS = {
    "open": _l("Open"),
    "done": _l("Done"),
    "accepted": _l("Accepted"),
    "contested": _l("Contested"),
    "cancelled": _l("Cancelled"),
}
# ... and as a crew reads them in the field ("To do", "Late").
FIELD_ROUND_STATUS_LABELS = {
    "planned": _l("Planned"),
    "assigned": _l("To do"),
    "in_progress": _l("In progress"),
    "completed": _l("Done, waiting for acceptance"),
    "accepted": _l("Accepted"),
    "overdue": _l("Late"),
    "cancelled": _l("Cancelled"),
}
FIELD_TASK_STATUS_LABELS = {
    "open": _l("To do"),
    "done": _l("Done"),
    "accepted": _l("Accepted"),
    "contested": _l("Contested: redo"),
    "cancelled": _l("Cancelled"),
}
NEED_STATUS_LABELS = {
    "open": _l("Open"),
    "planned": _l("Planned"),
    "done": _l("Done"),
    "cancelled": _l("Cancelled"),
}
# Units of price lines, as tables and statements show them.
UNIT_LABELS = {
    "piece": _l("piece"),
    "m": _l("m"),
    "m2": _l("m²"),
    "hour": _l("hour"),
}


def round_status_label(status: str) -> str:
    return str(ROUND_STATUS_LABELS.get(status, status))


def task_status_label(status: str) -> str:
    return str(TASK_STATUS_LABELS.get(status, status))


def field_round_status_label(status: str) -> str:
    return str(FIELD_ROUND_STATUS_LABELS.get(status, status))


def field_task_status_label(status: str) -> str:
    return str(FIELD_TASK_STATUS_LABELS.get(status, status))


def need_status_label(status: str) -> str:
    return str(NEED_STATUS_LABELS.get(status, status))


def unit_label(unit: str) -> str:
    return str(UNIT_LABELS.get(unit, unit))
