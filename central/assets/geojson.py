"""GET /api/v1/assets.geojson (SPEC 7.4): the assets in reach with their service status as one
RFC 7946 FeatureCollection (WGS84 longitude, latitude) for GIS tools. Streamed whole — the one
list that is not paginated — from a server-side cursor in batches, so that 400,000 hydrants
pass through a small, constant amount of memory."""

from __future__ import annotations

from collections.abc import Iterator
from json.encoder import encode_basestring

from flask import Response, request, stream_with_context
from flask_login import current_user
from sqlalchemy import Select

from central.assets.models import Asset, AssetStatus
from central.core.api import endpoint
from central.core.errors import N_, NotFound, ValidationError
from central.core.permissions import require_role, visible_assets, visible_organisations
from central.extensions import db
from central.organisations.models import Organisation

MEDIA_TYPE = "application/geo+json"
BATCH = 5000
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


def _text(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def feature(row) -> str:
    """One asset as a GeoJSON Feature; written by hand (each string escaped by the json
    encoder) because it is done 400,000 times. RFC 7946: [longitude, latitude], six decimals
    (about 10 cm)."""
    (asset_id, code, kind, lon, lat, status, member_id, street, number, postcode, town, dn) = row
    diameter = "null" if dn is None else int(dn)
    return (
        f'{{"type":"Feature","id":{asset_id},"geometry":{{"type":"Point",'
        f'"coordinates":[{lon:.6f},{lat:.6f}]}},"properties":{{"code":{_text(code)},'
        f'"kind":{_text(kind)},"service_status":{_text(status)},"member_id":{member_id},'
        f'"street":{_text(street)},"house_number":{_text(number)},'
        f'"postcode":{_text(postcode)},"municipality":{_text(town)},"diameter_mm":{diameter}}}}}'
    )


def feature_collection(stmt: Select) -> Iterator[str]:
    """The FeatureCollection of the rows of `stmt`, in pieces of up to BATCH features."""
    yield '{"type":"FeatureCollection","features":['
    result = db.session.execute(stmt.execution_options(yield_per=BATCH))
    first = True
    for rows in result.partitions():
        piece = ",".join(feature(row) for row in rows)
        yield piece if first else "," + piece
        first = False
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
    require_role(current_user, "viewer", "member", "coordinator")
    stmt = assets_query(current_user, _member_param())
    return Response(
        stream_with_context(feature_collection(stmt)),
        mimetype=MEDIA_TYPE,
        headers={"Content-Disposition": "inline; filename=assets.geojson"},
    )
