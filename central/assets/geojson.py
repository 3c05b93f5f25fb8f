"""GET /api/v1/assets.geojson (SPEC 7.4): the assets in reach with their service status as one
RFC 7946 FeatureCollection (WGS84 longitude, latitude) for GIS tools. Streamed whole — the one
list that is not paginated — from a server-side cursor in batches, so that 400,000 hydrants
pass through a small, constant amount of memory, in a few seconds (SPEC 7.4's benchmark)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from json.encoder import encode_basestring

from flask import Response, request, stream_with_context
from flask_login import current_user
from sqlalchemy import Select

from central.accounts.models import Role
from central.assets.models import Asset, AssetStatus
from central.assets.reach import visible_assets
from central.core.api import endpoint
from central.core.errors import N_, NotFound, ValidationError
from central.core.permissions import require_role
from central.extensions import db
from central.organisations.models import Organisation
from central.organisations.reach import visible_organisations

MEDIA_TYPE = "application/geo+json"
BATCH = 5000
# How many distinct texts one export keeps escaped (street names repeat from hydrant to hydrant;
# beyond this the rest are escaped each time, so that the memory stays bounded).
TEXTS_KEPT = 50_000
COLUMNS = (
    Asset.id,
    Asset.code,
    Asset.kind,
    Asset.lon,
    Asset.lat,
    Asset.service_status,
    Asset.member_id,
    Asset.street,
    Asset.house_number,
    Asset.postcode,
    Asset.municipality,
    Asset.diameter_mm,
)


class JsonTexts(dict):
    """The JSON text of a string (escaped by the json encoder) or of None (null), each distinct
    value escaped once: a lookup is cheaper than a call, 2.4 million times an export."""

    def __missing__(self, value: str | None) -> str:
        text = "null" if value is None else encode_basestring(value)
        if len(self) < TEXTS_KEPT:
            self[value] = text
        return text


def features(rows: Sequence[tuple], texts: JsonTexts) -> str:
    """Rows of COLUMNS as GeoJSON Features joined by commas; written by hand because it is done
    400,000 times. RFC 7946: [longitude, latitude], six decimals (about 10 cm). Codes are unique,
    so they are escaped each time rather than kept."""
    return ",".join(
        [
            f'{{"type":"Feature","id":{asset_id},"geometry":{{"type":"Point",'
            f'"coordinates":[{lon:.6f},{lat:.6f}]}},"properties":{{'
            f'"code":{encode_basestring(code)},"kind":{texts[kind]},'
            f'"service_status":{texts[status]},"member_id":{member_id},'
            f'"street":{texts[street]},"house_number":{texts[number]},'
            f'"postcode":{texts[postcode]},"municipality":{texts[town]},'
            f'"diameter_mm":{"null" if dn is None else int(dn)}}}}}'
            for (
                asset_id,
                code,
                kind,
                lon,
                lat,
                status,
                member_id,
                street,
                number,
                postcode,
                town,
                dn,
            ) in rows
        ]
    )


def row_batches(stmt: Select) -> Iterator[list[tuple]]:
    """The rows of `stmt` as the driver's own tuples, BATCH at a time, read in the session's
    transaction through the driver's cursor — server-side on PostgreSQL, so that the memory stays
    constant. SQLAlchemy's result rows are left out: at 400,000 rows, making them (and the garbage
    collector's passes over them) cost several times the reading itself. The statement is compiled
    by SQLAlchemy for the session's database; it binds integers and strings only (ids, the
    status), which the drivers take as they are."""
    connection = db.session.connection()
    compiled = stmt.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup)
    driver = connection.connection.dbapi_connection
    server_side = connection.dialect.name == "postgresql"
    cursor = driver.cursor(name="assets_geojson") if server_side else driver.cursor()
    try:
        cursor.execute(str(compiled), params)
        while rows := cursor.fetchmany(BATCH):
            yield rows
    finally:
        cursor.close()


def feature_collection(stmt: Select) -> Iterator[str]:
    """The FeatureCollection of the rows of `stmt`, in pieces of up to BATCH features."""
    yield '{"type":"FeatureCollection","features":['
    texts = JsonTexts()
    separator = ""
    for rows in row_batches(stmt):
        yield separator + features(rows, texts)
        separator = ","
    yield "]}\n"


def assets_query(user, member_id: int | None) -> Select:
    """The active assets in the user's reach (of one member, if named), in id order."""
    stmt = visible_assets(user).with_only_columns(*COLUMNS)
    stmt = stmt.where(Asset.status == AssetStatus.ACTIVE)
    if member_id is not None:
        stmt = stmt.where(Asset.member_id == member_id)
    return stmt.order_by(Asset.id)


def _member_param() -> int | None:
    raw = (request.args.get("member") or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) < 2**31:
        raise ValidationError(
            N_("member must be a number."), fields={"member": N_("Not a number.")}
        )
    member_id = int(raw)
    member = db.session.scalar(
        visible_organisations(current_user).where(
            Organisation.id == member_id, Organisation.kind == "authority"
        )
    )
    if member is None:
        raise NotFound(N_("Not found."))
    return member_id


@endpoint(
    "/assets.geojson",
    summary="The assets in reach with their service status, as one RFC 7946 GeoJSON "
    "FeatureCollection (WGS84 lon/lat), streamed whole: not paginated (viewer, member, "
    "coordinator)",
    tag="assets",
    produces=(MEDIA_TYPE,),
    query=[
        {
            "name": "member",
            "in": "query",
            "schema": {"type": "integer"},
            "description": "Only this member authority's assets.",
        }
    ],
)
def assets_geojson():
    require_role(current_user, Role.VIEWER, Role.MEMBER, Role.COORDINATOR)
    stmt = assets_query(current_user, _member_param())
    return Response(
        stream_with_context(feature_collection(stmt)),
        mimetype=MEDIA_TYPE,
        headers={"Content-Disposition": "inline; filename=assets.geojson"},
    )
