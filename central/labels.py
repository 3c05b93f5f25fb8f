"""Translated labels for stored values (roles, statuses), shown in the UI."""

from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "admin": _l("Platform administrator"),
    "coordinator": _l("Coordinator"),
    "member": _l("Member authority"),
    "provider": _l("Provider"),
}
SOCIAL_STATUS_LABELS = {
    "none": _l("None"),
    "maatwerkbedrijf": _l("Custom-work company (maatwerkbedrijf)"),
    "lde": _l("Local service economy (LDE)"),
    "sociale_inschakeling": _l("Social integration enterprise"),
}
FLASH_LABELS = {
    "error": _l("Error"),
    "success": _l("Done"),
    "info": _l("Note"),
    "warning": _l("Warning"),
}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def social_status_label(status: str) -> str:
    return str(SOCIAL_STATUS_LABELS.get(status, status))


def flash_label(category: str) -> str:
    return str(FLASH_LABELS.get(category, FLASH_LABELS["info"]))
