"""Pages of hydrants' service status (SPEC 7.4): the out-of-service list and the status map (for
members, coordinators and the viewers of fire zones and water companies), marking an asset
repaired or out of service, its public link, the fire zone and water company a member names,
and A4 sheets of QR labels."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import Length, Optional

from central.accounts.forms import ConfirmForm
from central.accounts.models import Role
from central.assets import availability, labels, public_reports
from central.assets.models import (
    STATUS_NOTE_LENGTH,
    Asset,
    AssetStatus,
    AssetStatusChange,
    Need,
    ServiceAvailability,
)
from central.assets.public import public_url
from central.assets.reach import visible_assets
from central.core.errors import DomainError
from central.core.forms import CentralForm, form_error
from central.core.pagination import paginate
from central.core.permissions import (
    get_visible_for,
    require_own_authority,
    require_role,
)
from central.extensions import db
from central.labels import service_status_label
from central.organisations import services as organisation_services
from central.organisations.models import Organisation

bp = Blueprint("hydrants", __name__)

HYDRANT_ROLES = (Role.VIEWER, Role.MEMBER, Role.COORDINATOR)


class StatusChangeForm(CentralForm):
    note = StringField(
        _l("Note (optional)"), validators=[Optional(), Length(max=STATUS_NOTE_LENGTH)]
    )
    need_id = HiddenField()


class ServedByForm(CentralForm):
    fire_zone_id = SelectField(_l("Fire zone"), coerce=int)
    water_company_id = SelectField(_l("Water company"), coerce=int)


def _members_in_reach() -> list[Organisation]:
    """The member authorities whose assets the user reaches (a viewer: those naming it)."""
    member_ids = visible_assets(current_user).with_only_columns(Asset.member_id).distinct()
    return list(
        db.session.scalars(
            select(Organisation).where(Organisation.id.in_(member_ids)).order_by(Organisation.name)
        )
    )


def _member_filter(stmt):
    raw = request.args.get("member") or ""
    if raw.isdigit():
        stmt = stmt.where(Asset.member_id == int(raw))
    return stmt, raw


@bp.route("/hydrants")
@login_required
def out_of_service():
    """The out-of-service list: the hydrants in reach that cannot serve the fire brigade now,
    longest out first."""
    require_role(current_user, *HYDRANT_ROLES)
    since = (
        select(func.max(AssetStatusChange.changed_at))
        .where(
            AssetStatusChange.asset_id == Asset.id,
            AssetStatusChange.to_status == ServiceAvailability.OUT_OF_SERVICE,
        )
        .scalar_subquery()
    )
    stmt = visible_assets(current_user).where(
        Asset.service_status == ServiceAvailability.OUT_OF_SERVICE,
        Asset.status == AssetStatus.ACTIVE,
    )
    stmt, member = _member_filter(stmt)
    page = paginate(stmt.order_by(since.asc(), Asset.code))
    ids = [asset.id for asset in page.items]
    since_by_asset = dict(
        db.session.execute(
            select(AssetStatusChange.asset_id, func.max(AssetStatusChange.changed_at))
            .where(
                AssetStatusChange.asset_id.in_(ids),
                AssetStatusChange.to_status == ServiceAvailability.OUT_OF_SERVICE,
            )
            .group_by(AssetStatusChange.asset_id)
        ).all()
    )
    members = _members_in_reach()
    return render_template(
        "hydrants/out_of_service.html",
        page=page,
        rows=[(asset, since_by_asset.get(asset.id)) for asset in page.items],
        members=members,
        member_names={m.id: m.name for m in members},
        member=member,
        kinds=_kind_names(),
    )


def _kind_names() -> dict[str, str]:
    from central.assets.queries import asset_kinds

    locale = str(get_locale() or "nl")
    return {k.code: k.name(locale) for k in asset_kinds()}


@bp.route("/hydrants/map")
@login_required
def status_map():
    require_role(current_user, *HYDRANT_ROLES)
    return render_template(
        "hydrants/map.html",
        members=_members_in_reach(),
        member=request.args.get("member") or "",
    )


@bp.route("/hydrants/map.json")
@login_required
def map_data():
    """The active assets in reach with their service status, for the map (labels translated;
    the shape and the label carry the status as well as the colour)."""
    require_role(current_user, *HYDRANT_ROLES)
    stmt = visible_assets(current_user).with_only_columns(
        Asset.id, Asset.code, Asset.kind, Asset.lat, Asset.lon, Asset.service_status,
        Asset.street, Asset.house_number, Asset.municipality,
    ).where(Asset.status == AssetStatus.ACTIVE)  # fmt: skip
    stmt, _member = _member_filter(stmt)
    names = _kind_names()
    labels_by_status = {s.value: service_status_label(s.value) for s in ServiceAvailability}
    return jsonify(
        [
            {
                "code": r.code,
                "kind": names.get(r.kind, r.kind),
                "status": r.service_status,
                "status_label": labels_by_status[r.service_status],
                "lat": r.lat,
                "lon": r.lon,
                "address": " ".join(p for p in (r.street, r.house_number) if p)
                + f", {r.municipality}",
                "url": url_for("assets.detail", asset_id=r.id),
            }
            for r in db.session.execute(stmt.order_by(Asset.id))
        ]
    )


def _own_asset(asset_id: int) -> Asset:
    """An asset in reach (else 404) that the user's authority owns (else 403)."""
    asset = get_visible_for(current_user, Asset, asset_id)
    require_own_authority(current_user, asset.member_id)
    return asset


@bp.route("/assets/<int:asset_id>/repaired", methods=["POST"])
@login_required
def mark_repaired(asset_id: int):
    asset = _own_asset(asset_id)
    form = StatusChangeForm()
    if form.validate_on_submit():
        try:
            availability.mark_repaired(asset, actor=current_user, note=form.note.data)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.translated(), "error")
            return redirect(url_for("assets.detail", asset_id=asset.id))
        db.session.commit()
        flash(_("%(code)s is in service again.", code=asset.code), "success")
    return redirect(url_for("assets.detail", asset_id=asset.id))


@bp.route("/assets/<int:asset_id>/out-of-service", methods=["POST"])
@login_required
def mark_out_of_service(asset_id: int):
    asset = _own_asset(asset_id)
    form = StatusChangeForm()
    if form.validate_on_submit():
        need_id = int(form.need_id.data) if (form.need_id.data or "").isdigit() else None
        try:
            availability.mark_out_of_service(
                asset, actor=current_user, need_id=need_id, note=form.note.data
            )
        except DomainError as exc:
            db.session.rollback()
            flash(exc.translated(), "error")
            return redirect(url_for("assets.detail", asset_id=asset.id))
        db.session.commit()
        flash(_("%(code)s is out of service.", code=asset.code), "success")
    return redirect(url_for("assets.detail", asset_id=asset.id))


@bp.route("/assets/<int:asset_id>/public-link", methods=["POST"])
@login_required
def rotate_public_link(asset_id: int):
    asset = _own_asset(asset_id)
    if ConfirmForm().validate_on_submit():
        try:
            availability.rotate_public_token(asset, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.translated(), "error")
            return redirect(url_for("assets.detail", asset_id=asset.id))
        db.session.commit()
        flash(_("The public link of %(code)s is new; print its label again.", code=asset.code))
    return redirect(url_for("assets.detail", asset_id=asset.id))


def status_panel(asset: Asset) -> dict:
    """What the asset page shows of its service status: history, its forms and public link."""
    own = asset.member_id == current_user.organisation_id and current_user.role in (
        Role.MEMBER,
        Role.COORDINATOR,
    )
    return {
        "changes": availability.status_history(asset),
        "form": StatusChangeForm() if own else None,
        "confirm": ConfirmForm() if own else None,
        "public_url": public_url(asset) if own else None,
    }


@bp.route("/organisation/fire-zone", methods=["GET", "POST"])
@login_required
def served_by():
    """A member names its fire zone and its water company (SPEC 7.4)."""
    require_role(current_user, Role.MEMBER, Role.COORDINATOR)
    org = get_visible_for(current_user, Organisation, current_user.organisation_id)
    form = ServedByForm(obj=org)
    for field, kind in (("fire_zone_id", "fire_zone"), ("water_company_id", "water_company")):
        choices = db.session.scalars(
            select(Organisation).where(Organisation.kind == kind).order_by(Organisation.name)
        )
        form[field].choices = [(0, _("None"))] + [(o.id, o.name) for o in choices]
        if request.method == "GET":
            form[field].data = getattr(org, field) or 0
    if form.validate_on_submit():
        values = {
            "fire_zone_id": form.fire_zone_id.data or None,
            "water_company_id": form.water_company_id.data or None,
        }
        try:
            organisation_services.name_fire_zone_and_water_company(org, values, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            status = form_error(form, exc)
            return render_template("hydrants/served_by.html", form=form, org=org), status
        db.session.commit()
        flash(_("Your fire zone and water company are saved."), "success")
        return redirect(url_for("hydrants.served_by"))
    status = 400 if form.errors else 200
    return render_template("hydrants/served_by.html", form=form, org=org), status


@bp.route("/hydrants/labels")
@login_required
def label_sheets():
    """The member's choice of QR label sheets (A4, 24 labels each)."""
    require_role(current_user, Role.MEMBER, Role.COORDINATOR)
    count = db.session.scalar(
        select(func.count(Asset.id)).where(
            Asset.member_id == current_user.organisation_id, Asset.status == AssetStatus.ACTIVE
        )
    )
    sheets = (count + labels.PER_SHEET - 1) // labels.PER_SHEET
    return render_template("hydrants/labels.html", count=count, sheets=sheets)


@bp.route("/hydrants/labels.svg")
@login_required
def label_sheet():
    """One A4 sheet of QR labels (SVG): the code and the QR of each asset's public link."""
    require_role(current_user, Role.MEMBER, Role.COORDINATOR)
    raw = request.args.get("sheet") or "1"
    sheet = int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1
    assets = db.session.scalars(
        select(Asset)
        .where(Asset.member_id == current_user.organisation_id, Asset.status == AssetStatus.ACTIVE)
        .order_by(Asset.municipality, Asset.street, Asset.code)
        .offset((sheet - 1) * labels.PER_SHEET)
        .limit(labels.PER_SHEET)
    ).all()
    svg = labels.sheet_svg([(a.code, public_url(a)) for a in assets])
    return Response(
        svg,
        mimetype="image/svg+xml",
        headers={"Content-Disposition": f"inline; filename=labels-{sheet}.svg"},
    )


@bp.route("/needs/<int:need_id>/photo")
@login_required
def need_photo(need_id: int):
    """A public report's photo, for the member (and coordinator) that reaches the need."""
    need = get_visible_for(current_user, Need, need_id)
    return public_reports.photo_response(need)
