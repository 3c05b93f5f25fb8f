"""Service status of assets (SPEC 7.4): whether a hydrant can serve the fire brigade.

A task's result puts an asset out of service (`out_of_service` in the result, or a failed
checklist item its task type marks `critical`); a later `ok` result, or the member marking it
repaired, puts it back. Every change is an AssetStatusChange (who, when, why) and an audit event,
and mails the member's fire zone and water company through the outbox.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from central.assets import notifications
from central.assets.models import (
    STATUS_NOTE_LENGTH,
    Asset,
    AssetStatusChange,
    Need,
    NeedSource,
    ServiceAvailability,
    StatusChangeReason,
    new_public_token,
)
from central.core import audit
from central.core.errors import N_, Conflict, ValidationError
from central.core.permissions import require_own_authority
from central.core.types import utcnow
from central.extensions import db


def _clean_note(note: Any) -> str | None:
    if note is None:
        return None
    if not isinstance(note, str):
        raise ValidationError(
            N_("The request has invalid fields."), fields={"note": N_("Not text.")}
        )
    note = note.strip()
    if len(note) > STATUS_NOTE_LENGTH:
        raise ValidationError(
            N_("The note is too long."), fields={"note": N_("At most 2000 characters.")}
        )
    return note or None


def change_service_status(
    asset: Asset,
    to_status: str,
    *,
    reason: str,
    actor: Any,
    task_id: int | None = None,
    need_id: int | None = None,
    note: str | None = None,
) -> AssetStatusChange | None:
    """Set an asset's service status, keeping the change (who, when, why) and telling the fire
    zone and the water company; no change when it already has that status (None)."""
    db.session.refresh(asset, with_for_update=True)  # two changes at once apply one by one
    previous = asset.service_status
    if previous == to_status:
        return None
    asset.service_status = to_status
    change = AssetStatusChange(
        asset_id=asset.id,
        from_status=previous,
        to_status=to_status,
        reason=reason,
        task_id=task_id,
        need_id=need_id,
        actor_id=getattr(actor, "id", None),
        note=note,
        changed_at=utcnow(),
    )
    db.session.add(change)
    db.session.flush()
    audit.record(
        "asset.service_status_changed",
        asset,
        actor=actor,
        from_status=previous,
        to_status=to_status,
        reason=reason,
        task_id=task_id,
        need_id=need_id,
    )
    if ServiceAvailability.OUT_OF_SERVICE in (previous, to_status):
        notifications.service_status_changed(asset, change)
    return change


def critical_failures(checklist: list[dict[str, Any]], failed: list[str]) -> list[str]:
    """The failed items that the task type marks `critical`."""
    critical = {item["key"] for item in checklist if item.get("critical")}
    return [key for key in failed if key in critical]


def apply_result(
    task: Any,
    *,
    result: str,
    out_of_service: bool,
    critical_failed: list[str],
    actor: Any,
) -> AssetStatusChange | None:
    """A task's (corrected) result on an asset: out of service when the crew says so or a
    critical item failed; back in service on an `ok` result without either; otherwise as it
    was (a defect without a critical failure leaves the hydrant usable)."""
    if task.asset_id is None:
        return None
    asset = db.session.get(Asset, task.asset_id)
    if asset is None:
        return None
    if out_of_service or critical_failed:
        to_status = ServiceAvailability.OUT_OF_SERVICE
    elif result == "ok":
        to_status = ServiceAvailability.IN_SERVICE
    else:
        return None
    note = None
    if critical_failed:
        note = ", ".join(critical_failed)
    return change_service_status(
        asset, to_status, reason=StatusChangeReason.TASK, actor=actor, task_id=task.id, note=note
    )


def mark_repaired(asset: Asset, *, actor: Any, note: Any = None) -> Asset:
    """The member marks an out-of-service (or unknown) asset repaired: in service again."""
    require_own_authority(actor, asset.member_id)
    note = _clean_note(note)
    if not asset.is_active:
        raise Conflict(N_("This asset is retired; its status no longer changes."))
    if asset.service_status == ServiceAvailability.IN_SERVICE:
        raise Conflict(N_("This asset is already in service."))
    change_service_status(
        asset,
        ServiceAvailability.IN_SERVICE,
        reason=StatusChangeReason.REPAIR,
        actor=actor,
        note=note,
    )
    return asset


def mark_out_of_service(
    asset: Asset, *, actor: Any, need_id: Any = None, note: Any = None
) -> Asset:
    """The member puts an asset out of service: on its own word, or triaging a public report
    on that asset (`need_id`)."""
    require_own_authority(actor, asset.member_id)
    note = _clean_note(note)
    reason = StatusChangeReason.MEMBER
    if need_id is not None:
        need = db.session.scalar(
            select(Need).where(
                Need.id == need_id if isinstance(need_id, int) else False,
                Need.asset_id == asset.id,
                Need.source == NeedSource.PUBLIC,
            )
        )
        if need is None:
            raise ValidationError(
                N_("Name a public report on this asset."),
                fields={"need_id": N_("Not a public report on this asset.")},
            )
        reason = StatusChangeReason.PUBLIC_REPORT
    if not asset.is_active:
        raise Conflict(N_("This asset is retired; its status no longer changes."))
    if asset.is_out_of_service:
        raise Conflict(N_("This asset is already out of service."))
    change_service_status(
        asset,
        ServiceAvailability.OUT_OF_SERVICE,
        reason=reason,
        actor=actor,
        need_id=need_id,
        note=note,
    )
    return asset


def status_history(asset: Asset) -> list[AssetStatusChange]:
    """Every change of the asset's service status, newest first."""
    return list(
        db.session.scalars(
            select(AssetStatusChange)
            .where(AssetStatusChange.asset_id == asset.id)
            .order_by(AssetStatusChange.changed_at.desc(), AssetStatusChange.id.desc())
        )
    )


def rotate_public_token(asset: Asset, *, actor: Any) -> Asset:
    """A new public report link for the asset (the old one then names nothing): for a label
    that was misused or a link that got around."""
    require_own_authority(actor, asset.member_id)
    asset.public_token = new_public_token()
    db.session.flush()
    audit.record("asset.public_token_rotated", asset, actor=actor)
    return asset
