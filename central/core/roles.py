"""The roles a user account holds (SPEC section 1). Core's reach machinery compares with these;
the accounts domain stores them (`central.accounts.models` re-exports both names)."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    MEMBER = "member"
    PROVIDER = "provider"
    # A fire zone's or a water company's user: reads hydrants and their status (SPEC 7.4).
    VIEWER = "viewer"


# Roles whose sign-in asks for a TOTP code after the password (they can change whole frameworks
# or every account); API tokens are unaffected.
TWO_FACTOR_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR})
