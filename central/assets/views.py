"""Pages: the member's inventory (list, map, detail, add/edit/retire, import with preview, CSV
export), its service plans with due counts, and needs; and the Leaflet files served locally."""

from __future__ import annotations

import contextlib
import os
import secrets
from datetime import timedelta
from typing import Any

import xstatic.pkg.leaflet
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from central.accounts.forms import ConfirmForm
from central.accounts.models import Role
from central.assets import importer, queries, services
from central.assets.forms import (
    AssetForm,
    ImportConfirmForm,
    ImportForm,
    NeedForm,
    NeedTriageForm,
    ServicePlanForm,
)
from central.assets.hydrant_views import status_panel
from central.assets.models import Asset, AssetStatus, Need, NeedStatus, ServicePlan
from central.assets.reach import visible_assets, visible_needs, visible_service_plans
from central.core import storage
from central.core.audit import AuditEvent
from central.core.clock import today
from central.core.errors import N_, DomainError, FileTooLarge, ValidationError
from central.core.forms import form_error, rule_errors
from central.core.pagination import paginate
from central.core.permissions import (
    get_visible_for,
    require_own_authority,
    require_role,
)
from central.core.types import utcnow
from central.extensions import db

bp = Blueprint("assets", __name__)
leaflet = Blueprint("leaflet", __name__, url_prefix="/vendor/leaflet")

# A previewed upload waits here for its confirmation, at most this long.
UPLOAD_MAX_AGE_SECONDS = 6 * 3600


@bp.context_processor
def import_helpers() -> dict:
    """The import page names a file's columns in words."""
    return {"column_label": importer.column_label}


@leaflet.route("/<path:filename>")
def leaflet_file(filename: str):
    """Leaflet from the xstatic-leaflet package: maps load nothing from the internet."""
    return send_from_directory(xstatic.pkg.leaflet.BASE_DIR, filename, max_age=86400)


def _member_id() -> int:
    require_role(current_user, Role.MEMBER, Role.COORDINATOR)
    return current_user.organisation_id


def _kind_choices(all_label: str | None = None) -> list[tuple[str, str]]:
    locale = str(get_locale() or "nl")
    choices = [(k.code, k.name(locale)) for k in queries.asset_kinds()]
    return [("", all_label), *choices] if all_label else choices


def kind_names() -> dict[str, str]:
    locale = str(get_locale() or "nl")
    return {k.code: k.name(locale) for k in queries.asset_kinds()}


# --- assets -----------------------------------------------------------------------------------


@bp.route("/assets")
@login_required
def index():
    member_id = _member_id()
    args = {k: (request.args.get(k) or "").strip() for k in ("q", "municipality", "kind", "status")}
    stmt = visible_assets(current_user).where(Asset.member_id == member_id)
    if args["q"]:
        stmt = stmt.where(
            or_(
                Asset.code.icontains(args["q"], autoescape=True),
                Asset.street.icontains(args["q"], autoescape=True),
            )
        )
    if args["municipality"]:
        stmt = stmt.where(Asset.municipality == args["municipality"])
    if args["kind"]:
        stmt = stmt.where(Asset.kind == args["kind"])
    if args["status"] in set(AssetStatus):
        stmt = stmt.where(Asset.status == args["status"])
    page = paginate(stmt.order_by(Asset.municipality, Asset.street, Asset.code))
    municipalities = db.session.scalars(
        select(Asset.municipality)
        .where(Asset.member_id == member_id)
        .distinct()
        .order_by(Asset.municipality)
    ).all()
    return render_template(
        "assets/index.html",
        page=page,
        args=args,
        municipalities=municipalities,
        kinds=kind_names(),
        service=queries.service_status(page.items),
        today=today(),
    )


@bp.route("/assets/export.csv")
@login_required
def export():
    member_id = _member_id()
    body = importer.export_csv(services.export_rows(member_id))
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=assets.csv"},
    )


@bp.route("/assets/map")
@login_required
def asset_map():
    _member_id()
    return render_template("assets/map.html")


@bp.route("/assets/map.json")
@login_required
def map_data():
    member_id = _member_id()
    rows = db.session.execute(
        select(
            Asset.id,
            Asset.code,
            Asset.kind,
            Asset.status,
            Asset.lat,
            Asset.lon,
            Asset.street,
            Asset.house_number,
            Asset.municipality,
        ).where(Asset.member_id == member_id)
    )
    names = kind_names()
    return jsonify(
        [
            {
                "id": r.id,
                "code": r.code,
                "kind": names.get(r.kind, r.kind),
                "status": r.status,
                "status_label": _("Active") if r.status == "active" else _("Retired"),
                "lat": r.lat,
                "lon": r.lon,
                "address": " ".join(p for p in (r.street, r.house_number) if p)
                + f", {r.municipality}",
                "url": url_for("assets.detail", asset_id=r.id),
            }
            for r in rows
        ]
    )


@bp.route("/assets/<int:asset_id>")
@login_required
def detail(asset_id: int):
    asset = get_visible_for(current_user, Asset, asset_id)
    history = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "assets", AuditEvent.object_id == asset.id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    ).all()
    needs = db.session.scalars(
        visible_needs(current_user).where(Need.asset_id == asset.id).order_by(Need.id.desc())
    ).all()
    return render_template(
        "assets/detail.html",
        asset=asset,
        history=history,
        needs=needs,
        kinds=kind_names(),
        service=queries.service_status([asset])[asset.id],
        own=asset.member_id == current_user.organisation_id,
        status=status_panel(asset),
    )


def _asset_values(form: AssetForm) -> dict[str, Any]:
    return {name: form[name].data for name in services.ASSET_FIELDS}


@bp.route("/assets/new", methods=["GET", "POST"])
@bp.route("/assets/<int:asset_id>/edit", methods=["GET", "POST"])
@login_required
def edit(asset_id: int | None = None):
    member_id = _member_id()
    asset = get_visible_for(current_user, Asset, asset_id) if asset_id else None
    if asset is not None:
        require_own_authority(current_user, asset.member_id)
        if not asset.is_active:
            flash(_("A retired asset cannot change."), "error")
            return redirect(url_for("assets.detail", asset_id=asset.id))
    form = AssetForm(obj=asset)
    form.kind.choices = _kind_choices()
    if form.validate_on_submit():
        try:
            if asset is None:
                asset = services.create_asset(member_id, _asset_values(form), actor=current_user)
            else:
                services.update_asset(asset, _asset_values(form), actor=current_user)
        except DomainError as exc:
            status = form_error(form, exc)
            return render_template("assets/form.html", form=form, asset=asset), status
        db.session.commit()
        flash(_("Asset %(code)s is saved.", code=asset.code), "success")
        return redirect(url_for("assets.detail", asset_id=asset.id))
    if form.errors:
        rule_errors(
            form,
            lambda: (
                services.create_asset(member_id, _asset_values(form), actor=current_user)
                if asset is None
                else services.update_asset(asset, _asset_values(form), actor=current_user)
            ),
        )
    status = 400 if form.is_submitted() else 200
    return render_template("assets/form.html", form=form, asset=asset), status


@bp.route("/assets/<int:asset_id>/retire", methods=["GET", "POST"])
@login_required
def retire(asset_id: int):
    asset = get_visible_for(current_user, Asset, asset_id)
    require_own_authority(current_user, asset.member_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.retire_asset(asset, actor=current_user)
        except DomainError as exc:
            form_error(form, exc)
            return render_template("assets/retire.html", form=form, asset=asset), exc.status
        db.session.commit()
        flash(_("Asset %(code)s is retired.", code=asset.code), "success")
        return redirect(url_for("assets.detail", asset_id=asset.id))
    if request.method == "POST":
        abort(400)
    return render_template("assets/retire.html", form=form, asset=asset)


# --- import -----------------------------------------------------------------------------------


IMPORTS = "imports/"  # the file store's folder for previewed import files


def _forget_old_uploads() -> None:
    files = storage.current_storage()
    limit = utcnow() - timedelta(seconds=UPLOAD_MAX_AGE_SECONDS)
    for stored in files.list(IMPORTS):
        if stored.modified_at < limit:
            files.delete(stored.key)


def _pending_upload() -> bytes | None:
    """The previewed file of this session, if it is still there (in the shared file store, so
    that the confirmation may reach another web host than the preview)."""
    pending = session.get("asset_import")
    if not pending or pending.get("user") != current_user.id:
        return None
    try:
        return storage.current_storage().get(f"{IMPORTS}{pending['name']}.upload")
    except (storage.FileMissing, ValueError):
        return None


def _drop_pending_upload() -> None:
    pending = session.pop("asset_import", None)
    if pending and pending.get("user") == current_user.id:
        with contextlib.suppress(ValueError):
            storage.current_storage().delete(f"{IMPORTS}{pending['name']}.upload")


@bp.route("/assets/import", methods=["GET", "POST"])
@login_required
def import_page():
    member_id = _member_id()
    form = ImportForm()
    if request.method == "POST" and (request.content_length or 0) > services.IMPORT_MAX_BYTES:
        raise FileTooLarge(services.IMPORT_MAX_BYTES)
    if form.validate_on_submit():
        data = form.file.data.stream.read(services.IMPORT_MAX_BYTES + 1)
        if len(data) > services.IMPORT_MAX_BYTES:
            raise FileTooLarge(services.IMPORT_MAX_BYTES)
        _drop_pending_upload()
        try:
            outcome = services.import_assets(member_id, data, actor=current_user, dry_run=True)
        except services.ImportRefused as exc:
            db.session.rollback()
            return render_template(
                "assets/import.html",
                form=form,
                problems=exc.problems,
                filename=form.file.data.filename,
            ), exc.status
        # Kept on the server under a random name that only this session knows, until confirmed.
        _forget_old_uploads()
        name = secrets.token_urlsafe(24)
        storage.current_storage().put(f"{IMPORTS}{name}.upload", data)
        session["asset_import"] = {
            "name": name,
            "user": current_user.id,
            "filename": os.path.basename(form.file.data.filename or "")[:200],
        }
        return render_template(
            "assets/import.html",
            form=ImportForm(formdata=None),
            outcome=outcome,
            confirm=ImportConfirmForm(upload=name),
            filename=session["asset_import"]["filename"],
        )
    status = 400 if form.is_submitted() else 200
    return render_template("assets/import.html", form=form), status


@bp.route("/assets/import/confirm", methods=["POST"])
@login_required
def import_confirm():
    member_id = _member_id()
    form = ImportConfirmForm()
    upload = _pending_upload()
    if (
        not form.validate_on_submit()
        or upload is None
        or (form.upload.data != session["asset_import"]["name"])
    ):
        flash(_("The previewed file is no longer there. Upload it again."), "error")
        return redirect(url_for("assets.import_page"))
    try:
        outcome = services.import_assets(member_id, upload, actor=current_user)
    except services.ImportRefused as exc:
        db.session.rollback()
        _drop_pending_upload()
        return render_template(
            "assets/import.html", form=ImportForm(formdata=None), problems=exc.problems
        ), exc.status
    except DomainError as exc:
        db.session.rollback()
        flash(exc.translated(), "error")
        return redirect(url_for("assets.import_page"))
    db.session.commit()
    _drop_pending_upload()
    flash(
        _(
            "Imported: %(created)d new, %(updated)d changed, %(unchanged)d unchanged.",
            created=outcome.created,
            updated=outcome.updated,
            unchanged=outcome.unchanged,
        ),
        "success",
    )
    return redirect(url_for("assets.index"))


# --- service plans ----------------------------------------------------------------------------


def _lot_task_choices(member_id: int) -> list[tuple[str, str]]:
    """`lot_id:code` of each task type in the lots the member acceded to."""
    from central.frameworks.models import Framework, Lot, TaskType

    lot_ids = services.approved_lot_ids(member_id)
    if not lot_ids:
        return []
    rows = db.session.execute(
        select(Framework.reference, Lot.id, Lot.number, Lot.title, TaskType.code, TaskType.name)
        .join(Lot, Lot.framework_id == Framework.id)
        .join(TaskType, TaskType.lot_id == Lot.id)
        .where(Lot.id.in_(lot_ids))
        .order_by(Framework.reference, Lot.number, TaskType.code)
    )
    return [
        (f"{r.id}:{r.code}", f"{r.reference} · {_('lot')} {r.number} {r.title} · {r.name}")
        for r in rows
    ]


def _split_lot_task(value: str | None) -> tuple[int | None, str | None]:
    if not value or ":" not in value:
        return None, None
    lot_id, _sep, code = value.partition(":")
    return (int(lot_id) if lot_id.isdigit() else None), code or None


@bp.route("/service-plans")
@login_required
def plans():
    member_id = _member_id()
    items = db.session.scalars(
        visible_service_plans(current_user)
        .where(ServicePlan.member_id == member_id)
        .order_by(ServicePlan.active.desc(), ServicePlan.id)
    ).all()
    return render_template(
        "assets/plans.html",
        plans=items,
        counts=queries.due_counts([p.id for p in items], today()),
        horizons=queries.DUE_HORIZONS,
        kinds=kind_names(),
        has_lots=bool(services.approved_lot_ids(member_id)),
    )


@bp.route("/service-plans/new", methods=["GET", "POST"])
@bp.route("/service-plans/<int:plan_id>/edit", methods=["GET", "POST"])
@login_required
def plan_edit(plan_id: int | None = None):
    member_id = _member_id()
    plan = get_visible_for(current_user, ServicePlan, plan_id) if plan_id else None
    if plan is not None:
        require_own_authority(current_user, plan.member_id)
    form = ServicePlanForm(obj=plan)
    form.lot_task.choices = _lot_task_choices(member_id)
    form.asset_kind.choices = _kind_choices(_("Every kind"))
    if request.method == "GET" and plan is not None:
        form.lot_task.data = f"{plan.lot_id}:{plan.task_type}"
        form.asset_kind.data = plan.asset_kind or ""
        form.season_months.data = plan.season_month_list or []

    def save() -> ServicePlan:
        lot_id, task_type = _split_lot_task(form.lot_task.data)
        values = {
            "lot_id": lot_id,
            "task_type": task_type,
            "asset_kind": form.asset_kind.data or None,
            "interval_months": form.interval_months.data,
            "season_months": form.season_months.data or None,
            "active": form.active.data,
        }
        if plan is None:
            return services.create_service_plan(member_id, values, actor=current_user)
        return services.update_service_plan(plan, values, actor=current_user)

    if form.validate_on_submit():
        try:
            plan = save()
        except DomainError as exc:
            _lot_task_errors(exc)
            status = form_error(form, exc)
            return render_template("assets/plan_form.html", form=form, plan=plan), status
        db.session.commit()
        flash(_("The service plan is saved."), "success")
        return redirect(url_for("assets.plans"))
    if form.errors:
        rule_errors(form, save, renamed=LOT_TASK_FIELDS)
    status = 400 if form.is_submitted() else 200
    return render_template("assets/plan_form.html", form=form, plan=plan), status


# --- needs ------------------------------------------------------------------------------------


@bp.route("/needs")
@login_required
def needs():
    require_role(current_user, Role.MEMBER, Role.COORDINATOR)
    status = request.args.get("status") or ""
    stmt = visible_needs(current_user).order_by(Need.created_at.desc(), Need.id.desc())
    if status in set(NeedStatus):
        stmt = stmt.where(Need.status == status)
    return render_template("assets/needs.html", page=paginate(stmt), status=status)


LOT_TASK_FIELDS = {"lot_id": "lot_task", "task_type": "lot_task"}


def _lot_task_errors(exc: DomainError) -> None:
    """The service's lot and task type errors belong to the form's one lot_task choice."""
    if "lot_id" in exc.fields or "task_type" in exc.fields:
        exc.fields["lot_task"] = exc.fields.pop("lot_id", []) + exc.fields.pop("task_type", [])


def _create_need(member_id: int, form: NeedForm) -> Need:
    """The member's need from the form: on the asset its code names, or on a place. An unknown
    code is said together with the need's other errors (all at once, §7.6)."""
    lot_id, task_type = _split_lot_task(form.lot_task.data)
    values: dict[str, Any] = {
        "lot_id": lot_id,
        "task_type": task_type,
        "description": form.description.data,
        "priority": form.priority.data,
        "quantity": form.quantity.data,
    }
    code = (form.asset_code.data or "").strip()
    if not code:
        values.update(lat=form.lat.data, lon=form.lon.data, address=form.address.data)
        return services.create_need(member_id, values, actor=current_user)
    asset_id = db.session.scalar(
        select(Asset.id).where(Asset.member_id == member_id, Asset.code == code)
    )
    if asset_id is not None:
        return services.create_need(member_id, {**values, "asset_id": asset_id}, actor=current_user)
    unknown = N_("No asset of your authority has this code.")
    errors: dict[str, list[str]] = {"asset_code": [unknown]}
    try:
        with db.session.begin_nested():
            # The need's other rules, on a stand-in place (rolled back; its own errors left out).
            services.create_need(
                member_id, {**values, "lat": None, "lon": None, "address": "-"}, actor=current_user
            )
            raise ValidationError(unknown)
    except ValidationError as exc:
        for name, messages in exc.fields.items():
            if name not in ("lat", "lon", "address"):
                errors.setdefault(name, []).extend(messages)
    raise ValidationError(unknown, fields=errors)


@bp.route("/needs/new", methods=["GET", "POST"])
@login_required
def need_new():
    member_id = _member_id()
    form = NeedForm()
    form.lot_task.choices = [("", _("Not known yet"))] + _lot_task_choices(member_id)
    if request.method == "GET" and request.args.get("asset"):
        form.asset_code.data = request.args["asset"]
    if form.validate_on_submit():
        try:
            need = _create_need(member_id, form)
        except DomainError as exc:
            _lot_task_errors(exc)
            if "asset_id" in exc.fields:
                exc.fields["asset_code"] = exc.fields.pop("asset_id")
            status = form_error(form, exc)
            return render_template("assets/need_form.html", form=form), status
        db.session.commit()
        flash(_("The need is logged."), "success")
        return redirect(url_for("assets.need_detail", need_id=need.id))
    if form.errors:
        rule_errors(
            form,
            lambda: _create_need(member_id, form),
            renamed={**LOT_TASK_FIELDS, "asset_id": "asset_code"},
        )
    status = 400 if form.is_submitted() else 200
    return render_template("assets/need_form.html", form=form), status


@bp.route("/needs/<int:need_id>", methods=["GET", "POST"])
@login_required
def need_detail(need_id: int):
    need = get_visible_for(current_user, Need, need_id)
    own = need.member_id == current_user.organisation_id
    form = NeedTriageForm(obj=need)
    form.lot_task.choices = [("", _("Not known yet"))] + (
        _lot_task_choices(need.member_id) if own else []
    )
    if request.method == "GET" and need.lot_id:
        form.lot_task.data = f"{need.lot_id}:{need.task_type or ''}"

    def save() -> Need:
        lot_id, task_type = _split_lot_task(form.lot_task.data)
        values = {
            "lot_id": lot_id,
            "task_type": task_type,
            "priority": form.priority.data,
            "quantity": form.quantity.data,
        }
        return services.update_need(need, values, actor=current_user)

    status = 200
    if request.method == "POST":
        require_own_authority(current_user, need.member_id)
        if form.validate_on_submit():
            try:
                save()
            except DomainError as exc:
                _lot_task_errors(exc)
                status = form_error(form, exc)
                return render_template(
                    "assets/need_detail.html", need=need, form=form, own=own
                ), status
            db.session.commit()
            flash(_("The need is saved."), "success")
            return redirect(url_for("assets.need_detail", need_id=need.id))
        rule_errors(form, save, renamed=LOT_TASK_FIELDS)
        status = 400
    return render_template("assets/need_detail.html", need=need, form=form, own=own), status


@bp.route("/needs/<int:need_id>/cancel", methods=["GET", "POST"])
@login_required
def need_cancel(need_id: int):
    need = get_visible_for(current_user, Need, need_id)
    require_own_authority(current_user, need.member_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.update_need(need, {"status": NeedStatus.CANCELLED}, actor=current_user)
        except DomainError as exc:
            form_error(form, exc)
            return render_template("assets/need_cancel.html", form=form, need=need), exc.status
        db.session.commit()
        flash(_("The need is cancelled."), "success")
        return redirect(url_for("assets.need_detail", need_id=need.id))
    if request.method == "POST":
        abort(400)
    return render_template("assets/need_cancel.html", form=form, need=need)
