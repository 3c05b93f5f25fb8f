"""Pages: rounds in reach (list, map with routes, one round in route order), moving a round
within its week, cancelling open work, and a provider's workload by week."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from central.accounts.models import Role
from central.core import clock
from central.core.errors import DomainError
from central.core.formatting import format_day, format_km
from central.core.forms import form_error, rule_errors
from central.core.pagination import paginate
from central.core.permissions import get_visible_for, require_role
from central.extensions import db
from central.frameworks.models import Framework
from central.frameworks.reach import coordinated_providers, led_frameworks
from central.labels import round_status_label
from central.organisations.models import Organisation
from central.planning import queries, services
from central.planning.calendar import ProviderCalendar
from central.planning.forms import ClosureForm, ConfirmForm, CrewForm, MoveRoundForm
from central.planning.models import (
    ACTIVE_ROUND_STATUSES,
    Closure,
    Crew,
    Round,
    RoundStatus,
    Task,
)
from central.planning.queries import monday, stops, weekly_load

bp = Blueprint("planning", __name__)

WORKLOAD_WEEKS = 8
MAP_ROUNDS = 300  # rounds drawn at once; filters narrow the map further


def _require_rounds_reader() -> None:
    require_role(current_user, Role.COORDINATOR, Role.MEMBER, Role.PROVIDER)


def _names(ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    rows = db.session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
    )
    return dict(rows.all())


@bp.route("/rounds")
@login_required
def rounds():
    _require_rounds_reader()
    args = request.args.to_dict()
    status = args.get("status", "")
    if status == "all":
        args.pop("status")
    try:
        stmt = queries.filtered_rounds(current_user, args)
    except DomainError:
        abort(400)
    if not status:
        stmt = stmt.where(Round.status.in_(list(ACTIVE_ROUND_STATUSES)))  # work still to do
    page = paginate(stmt)
    names = _names([r.member_id for r in page.items] + [r.provider_id for r in page.items])
    return render_template(
        "planning/rounds.html",
        page=page,
        names=names,
        status=status,
        statuses=list(RoundStatus),
    )


@bp.route("/rounds/<int:round_id>")
@login_required
def round_detail(round_id: int):
    _require_rounds_reader()
    round_ = get_visible_for(current_user, Round, round_id)
    round_stops = stops(round_)
    move_form = None
    if services.may_move(round_, current_user) and round_.scheduled_date:
        move_form = MoveRoundForm(scheduled_date=round_.scheduled_date)
        if current_user.role == Role.COORDINATOR:
            move_form.scheduled_date.description = _(
                "Any day from today; a round due earlier is then due that day."
            )
    return render_template(
        "planning/round.html",
        round=round_,
        stops=round_stops,
        names=_names([round_.member_id, round_.provider_id]),
        points=_points(round_stops),
        move_form=move_form,
        may_cancel=services.may_cancel(round_, current_user),
        week_start=monday(round_.scheduled_date) if round_.scheduled_date else None,
    )


def _points(round_stops) -> list[dict]:
    return [
        {
            "seq": s.sequence,
            "lat": s.lat,
            "lon": s.lon,
            "label": s.code or s.place or "",
            "status": s.status,
        }
        for s in round_stops
        if s.lat is not None and s.lon is not None
    ]


@bp.route("/rounds/<int:round_id>/move", methods=["POST"])
@login_required
def move_round(round_id: int):
    round_ = get_visible_for(current_user, Round, round_id)
    form = MoveRoundForm()
    if form.validate_on_submit():
        try:
            services.move_round(round_, form.scheduled_date.data, actor=current_user)
        except DomainError as exc:
            if exc.status == 403:
                raise
            details = " ".join(
                exc.translated(m) for messages in exc.fields.values() for m in messages
            )
            flash(f"{exc.translated()} {details}".strip(), "error")
            return redirect(url_for("planning.round_detail", round_id=round_id))
        db.session.commit()
        flash(
            _("The round is moved to %(day)s.", day=format_day(form.scheduled_date.data)), "success"
        )
    else:
        if not services.may_move(round_, current_user):
            abort(403)
        flash(" ".join(form.scheduled_date.errors) or _("Enter a date."), "error")
    return redirect(url_for("planning.round_detail", round_id=round_id))


@bp.route("/rounds/<int:round_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_round(round_id: int):
    round_ = get_visible_for(current_user, Round, round_id)
    if not services.may_cancel(round_, current_user):
        abort(403)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.cancel_round(round_, actor=current_user)
        except DomainError as exc:
            flash(exc.translated(), "error")
            return redirect(url_for("planning.round_detail", round_id=round_id)), 303
        db.session.commit()
        flash(_("The open work of round %(id)s is cancelled.", id=round_.id), "success")
        return redirect(url_for("planning.round_detail", round_id=round_id))
    open_tasks = [s for s in stops(round_) if s.status == "open"]
    return render_template(
        "planning/cancel.html", round=round_, task=None, open_tasks=open_tasks, form=form
    )


@bp.route("/tasks/<int:task_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_task(task_id: int):
    task = get_visible_for(current_user, Task, task_id)
    round_ = task.round
    if not services.may_cancel(round_, current_user):
        abort(403)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.cancel_task(task, actor=current_user)
        except DomainError as exc:
            flash(exc.translated(), "error")
            return redirect(url_for("planning.round_detail", round_id=round_.id)), 303
        db.session.commit()
        flash(_("The task is cancelled."), "success")
        return redirect(url_for("planning.round_detail", round_id=round_.id))
    stop = next(s for s in stops(round_) if s.id == task.id)
    return render_template(
        "planning/cancel.html", round=round_, task=stop, open_tasks=[stop], form=form
    )


@bp.route("/rounds/map")
@login_required
def rounds_map():
    _require_rounds_reader()
    return render_template(
        "planning/map.html",
        status=request.args.get("status", ""),
        statuses=list(RoundStatus),
        data_url=url_for("planning.rounds_map_data", **request.args.to_dict()),
    )


@bp.route("/rounds/map.json")
@login_required
def rounds_map_data():
    """The rounds in reach (active ones unless a status is asked for) with their routes."""
    _require_rounds_reader()
    args = request.args.to_dict()
    try:
        stmt = queries.filtered_rounds(current_user, args)
    except DomainError as exc:
        return jsonify({"error": exc.message}), 400
    if not args.get("status"):
        stmt = stmt.where(Round.status.in_(list(ACTIVE_ROUND_STATUSES)))
    found = list(db.session.scalars(stmt.limit(MAP_ROUNDS)))
    route_points = _route_points([r.id for r in found])
    names = _names([r.member_id for r in found])
    return jsonify(
        [
            {
                "id": r.id,
                "url": url_for("planning.round_detail", round_id=r.id),
                "member": names.get(r.member_id, ""),
                "status": r.status,
                "status_label": round_status_label(r.status),
                "due_date": r.due_date.isoformat(),
                "scheduled_date": r.scheduled_date.isoformat() if r.scheduled_date else None,
                "route_km": str(r.route_km),
                # What the map's popup shows, in the reader's language.
                "day_label": format_day(r.scheduled_date or r.due_date),
                "route_km_label": format_km(r.route_km),
                "points": route_points.get(r.id, []),
            }
            for r in found
        ]
    )


def _route_points(round_ids: list[int]) -> dict[int, list[list[float]]]:
    """Each round's stops in route order, in one query."""
    from sqlalchemy import func

    from central.assets.models import Asset, Need

    if not round_ids:
        return {}
    rows = db.session.execute(
        select(
            Task.round_id, func.coalesce(Asset.lat, Need.lat), func.coalesce(Asset.lon, Need.lon)
        )
        .outerjoin(Asset, Asset.id == Task.asset_id)
        .outerjoin(Need, Need.id == Task.need_id)
        .where(Task.round_id.in_(round_ids), Task.status != "cancelled")
        .order_by(Task.round_id, Task.sequence)
    )
    points: dict[int, list[list[float]]] = {}
    for round_id, lat, lon in rows:
        if lat is not None and lon is not None:
            points.setdefault(round_id, []).append([round(lat, 6), round(lon, 6)])
    return points


@bp.route("/workload")
@login_required
def workload():
    """A provider's work per week against the capacity awarded per lot; a coordinator chooses
    one of the providers awarded in the frameworks its authority leads."""
    require_role(current_user, Role.PROVIDER, Role.COORDINATOR)
    providers = []
    if current_user.role == Role.PROVIDER:
        provider_id = current_user.organisation_id
    else:
        providers = list(
            db.session.execute(
                select(Organisation.id, Organisation.name)
                .where(Organisation.id.in_(coordinated_providers(current_user)))
                .order_by(Organisation.name)
            ).all()
        )
        raw = request.args.get("provider", "")
        allowed = {pid for pid, _name in providers}
        provider_id = int(raw) if raw.isdigit() else (providers[0][0] if providers else None)
        if provider_id not in allowed and provider_id is not None:
            abort(404)
    first_week = monday(clock.today())
    # A coordinator counts only the work of the frameworks its authority leads (SPEC 7.0): a
    # provider shared by two centrals shows each only its own central's rounds.
    frameworks = (
        led_frameworks(current_user.organisation_id)
        if current_user.role == Role.COORDINATOR
        else None
    )
    weeks = (
        weekly_load(provider_id, first_week, WORKLOAD_WEEKS, frameworks=frameworks)
        if provider_id
        else []
    )
    chart = _load_chart(provider_id, weeks) if provider_id else None
    unassigned = 0
    if current_user.role == Role.COORDINATOR:
        unassigned = db.session.scalar(
            select(db.func.count())
            .select_from(Round)
            .join(Framework, Framework.id == Round.framework_id)
            .where(
                Framework.lead_organisation_id == current_user.organisation_id,
                Round.status == RoundStatus.PLANNED,
                Round.provider_id.is_(None),
            )
        )
    return render_template(
        "planning/workload.html",
        weeks=weeks,
        providers=providers,
        provider_id=provider_id,
        provider_name=_names([provider_id]).get(provider_id, "") if provider_id else "",
        unassigned=unassigned,
        chart=chart,
        week_end=lambda week: week + timedelta(days=6),
    )


CHART_BAR, CHART_GAP, CHART_HEIGHT = 36, 12, 120  # SVG units


def _load_chart(provider_id: int, weeks: list[dict]) -> dict:
    """Rounds a week over all lots and frameworks against what the provider's crews can do in
    that week (§7.5), as bars for an SVG chart drawn on the server."""
    calendar = ProviderCalendar.load(db.session, [provider_id], weeks[0]["week"])
    has_crews = calendar.has_crews(provider_id)
    rows = []
    for week in weeks:
        rounds = sum(entry["rounds"] for entry in week["lots"])
        capacity = calendar.week_capacity(provider_id, week["week"]) if has_crews else None
        rows.append({"week": week["week"], "rounds": rounds, "capacity": capacity})
    top = max([1] + [r["rounds"] for r in rows] + [r["capacity"] or 0 for r in rows])
    for n, row in enumerate(rows):
        row["x"] = CHART_GAP + n * (CHART_BAR + CHART_GAP)
        row["height"] = round(row["rounds"] / top * CHART_HEIGHT)
        row["y"] = CHART_HEIGHT - row["height"]
        row["over"] = row["capacity"] is not None and row["rounds"] > row["capacity"]
        if row["capacity"] is not None:
            row["capacity_y"] = CHART_HEIGHT - round(row["capacity"] / top * CHART_HEIGHT)
    return {
        "rows": rows,
        "has_crews": has_crews,
        "width": CHART_GAP + len(rows) * (CHART_BAR + CHART_GAP),
        "height": CHART_HEIGHT,
        "bar": CHART_BAR,
    }


# --- a provider's crews and closures (§7.5) ----------------------------------------------------


def _crew_provider() -> Organisation:
    """The provider whose crews the page shows: the provider user's own; the admin chooses one
    (`?provider=`)."""
    require_role(current_user, Role.PROVIDER, Role.ADMIN)
    if current_user.role == Role.PROVIDER:
        provider = db.session.get(Organisation, current_user.organisation_id)
    else:
        raw = request.values.get("provider", "")
        # Ids are 32-bit integers on every database; a larger number names nothing.
        provider = (
            db.session.get(Organisation, int(raw))
            if raw.isdigit() and 0 < int(raw) < 2**31
            else None
        )
        if provider is None or provider.kind != "provider":
            abort(404)
    return provider


def _closure_form(provider: Organisation, crews: list[Crew]) -> ClosureForm:
    form = ClosureForm()
    form.crew_id.choices = [(0, _("The whole provider"))] + [(c.id, c.name) for c in crews]
    return form


def _flash_error(exc: DomainError) -> None:
    details = " ".join(exc.translated(m) for messages in exc.fields.values() for m in messages)
    flash(f"{exc.translated()} {details}".strip(), "error")


# The closure service's field names and the form's.
CLOSURE_FIELDS = {"from": "start_date", "until": "end_date"}


@bp.route("/crews", methods=["GET", "POST"])
@login_required
def crews():
    """The provider's crews (add one, change its days a week) and its closures (add one)."""
    provider = _crew_provider()
    crew_list = list(
        db.session.scalars(
            select(Crew).where(Crew.provider_id == provider.id).order_by(Crew.name, Crew.id)
        )
    )
    crew_form = CrewForm(prefix="crew")
    closure_form = _closure_form(provider, crew_list)
    back = url_for(
        "planning.crews", provider=provider.id if current_user.role == Role.ADMIN else None
    )
    status = 200
    if request.method == "POST":
        action = request.form.get("action")
        if action not in ("crew", "closure"):
            abort(400)
        form = crew_form if action == "crew" else closure_form

        def save() -> str:
            if action == "crew":
                services.create_crew(
                    provider,
                    {"name": crew_form.name.data, "days_per_week": crew_form.days_per_week.data},
                    actor=current_user,
                )
                return _("The crew is added.")
            services.create_closure(
                provider,
                {
                    "start_date": closure_form.start_date.data,
                    "end_date": closure_form.end_date.data,
                    "reason": closure_form.reason.data,
                    "crew_id": closure_form.crew_id.data or None,
                },
                actor=current_user,
            )
            return _(
                "The days are closed; rounds the crews can no longer do move to the "
                "next open day, and the members are told."
            )

        if form.validate_on_submit():
            try:
                message = save()
            except DomainError as exc:
                if exc.status == 403:
                    raise
                db.session.rollback()
                for name, field in CLOSURE_FIELDS.items():
                    if name in exc.fields:
                        exc.fields[field] = exc.fields.pop(name)
                status = form_error(form, exc)
            else:
                db.session.commit()
                flash(message, "success")
                return redirect(back)
        else:
            rule_errors(form, save, renamed=CLOSURE_FIELDS)
            status = 400
    closures = list(
        db.session.scalars(
            select(Closure)
            .where(Closure.provider_id == provider.id, Closure.end_date >= clock.today())
            .order_by(Closure.start_date, Closure.id)
        )
    )
    return render_template(
        "planning/crews.html",
        provider=provider,
        crews=crew_list,
        crew_form=crew_form,
        closure_form=closure_form,
        closures=closures,
        edit_form=CrewForm,
    ), status


@bp.route("/crews/<int:crew_id>", methods=["POST"])
@login_required
def update_crew(crew_id: int):
    provider = _crew_provider()
    crew = db.session.get(Crew, crew_id) if 0 < crew_id < 2**31 else None
    if crew is None or crew.provider_id != provider.id:
        abort(404)
    form = CrewForm(prefix=f"crew{crew.id}")
    if form.validate_on_submit():
        try:
            services.update_crew(
                crew,
                provider,
                {"name": form.name.data, "days_per_week": form.days_per_week.data},
                actor=current_user,
            )
        except DomainError as exc:
            if exc.status == 403:
                raise
            _flash_error(exc)
        else:
            db.session.commit()
            flash(_("The crew is saved."), "success")
    else:
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
    return redirect(
        url_for("planning.crews", provider=provider.id if current_user.role == Role.ADMIN else None)
    )
