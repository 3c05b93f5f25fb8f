"""Read queries on organisations: whether one is in use, so that its identity is fixed (SPEC 7.2).

The domains that use an organisation (frameworks: beneficiaries and awards; reports: issued
statements) register a check here when their models load, so that this domain imports none."""

from __future__ import annotations

from collections.abc import Callable

from central.core.errors import Message

# A check answers whether organisation `id` is in use in its domain's way.
IdentityUse = Callable[[int], bool]
_USES: list[tuple[str, IdentityUse]] = []


def register_identity_use(reason: str, check: IdentityUse) -> None:
    """Add a way an organisation is used (`reason` a catalogue text marked with N_). Idempotent."""
    if (reason, check) not in _USES:
        _USES.append((reason, check))


def identity_use(org_id: int) -> Message | None:
    """Why the organisation's name, enterprise number and kind are fixed, or None if free."""
    for reason, check in _USES:
        if check(org_id):
            return Message(reason)
    return None
