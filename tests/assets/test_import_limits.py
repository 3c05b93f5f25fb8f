"""An XLSX zip bomb is refused before parsing: the archive is unpacked as a stream and refused
(413, nothing written) when it unpacks to more than the limit, packs a member too tightly, or a
sheet spans more rows or columns than allowed (declared in <dimension> or reached by a cell). The
bombs are built here, small on disk and without holding their unpacked size in memory."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from central.assets import importer
from central.assets.models import Asset
from central.extensions import db
from tests.assets.test_api import api, member, upload  # noqa: F401 - fixtures
from tests.assets.test_views import post_file
from tests.factories import make_user

WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets>'
    b'<sheet name="Blad1" sheetId="1" r:id="rId1" xmlns:r="http://schemas.openxmlformats.org/'
    b'officeDocument/2006/relationships"/></sheets></workbook>'
)
HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def workbook(sheet_chunks, *, repeat: int = 1) -> bytes:
    """An XLSX whose first sheet is `sheet_chunks` (the middle written `repeat` times, streamed
    into the archive, so that a sheet of hundreds of MB never sits in memory)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("xl/workbook.xml", WORKBOOK)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            first, middle, last = sheet_chunks
            sheet.write(HEAD + first)
            for _ in range(repeat):
                sheet.write(middle)
            sheet.write(last)
    return out.getvalue()


def bomb(megabytes: int) -> bytes:
    """Rows of the same cell: a few hundred KB that unpack to `megabytes` MB of sheet XML."""
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'  # no `r`: one row after another
    block = row * (1024 * 1024 // len(row))
    return workbook((b"<sheetData>", block, b"</sheetData></worksheet>"), repeat=megabytes)


def never_parsed(monkeypatch) -> None:
    def refuse(*_args, **_kwargs):
        raise AssertionError("the workbook was handed to the parser")

    monkeypatch.setattr(importer.pd, "read_excel", refuse)


def count_assets(member) -> int:  # noqa: F811 - this module's member
    return db.session.scalar(select(func.count(Asset.id)).where(Asset.member_id == member.id))


def test_an_xlsx_zip_bomb_answers_413_and_imports_nothing(api, member, monkeypatch):  # noqa: F811
    data = bomb(150)
    assert len(data) < 1024 * 1024  # 150 MB of XML in less than 1 MB
    never_parsed(monkeypatch)
    response = upload(api, data, name="inventaris.xlsx")
    assert response.status_code == 413
    assert response.json["error"]["code"] == "too_large"
    assert "XLSX" in response.json["error"]["message"]  # the limits, in the reader's language
    assert count_assets(member) == 0


def test_an_xlsx_packed_too_tightly_answers_413(api, member, monkeypatch):  # noqa: F811
    data = bomb(20)  # below the unpacked limit, but a ratio far above 100
    never_parsed(monkeypatch)
    response = upload(api, data, name="inventaris.xlsx", dry_run=True)
    assert response.status_code == 413
    assert count_assets(member) == 0


@pytest.mark.parametrize(
    "sheet",
    [
        # A declared extent of a million rows, which the reader would allocate.
        (b'<dimension ref="A1:XFD1048576"/><sheetData>', b"", b"</sheetData></worksheet>"),
        # One far cell: the sheet spans row 200,000.
        (
            b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c></row>',
            b'<row r="200000"><c r="A200000"><v>1</v></c></row>',
            b"</sheetData></worksheet>",
        ),
        # One far column: XFD is column 16,384.
        (b'<sheetData><row r="1"><c r="XFD1"><v>1</v></c></row>', b"", b"</sheetData></worksheet>"),
        # Rows without `r`, counted one after another: 150,000 of them.
        (b"<sheetData>", b"<row><c><v>1</v></c></row>" * 150_000, b"</sheetData></worksheet>"),
        # A namespace prefix on the tags (as some generators write): read tag by tag.
        (
            b'<x:sheetData><x:row r="1"><x:c r="XFD1"><x:v>1</x:v></x:c></x:row>',
            b"",
            b"</x:sheetData></worksheet>",
        ),
    ],
    ids=["dimension", "far-row", "far-column", "implied-rows", "prefixed-far-column"],
)
def test_an_xlsx_sheet_beyond_the_row_or_column_limit_answers_413(
    api,  # noqa: F811
    member,  # noqa: F811
    monkeypatch,
    sheet,
):
    never_parsed(monkeypatch)
    response = upload(api, workbook(sheet), name="inventaris.xlsx")
    assert response.status_code == 413
    assert count_assets(member) == 0


def test_an_xlsx_whose_member_is_damaged_answers_400(api, member):  # noqa: F811
    rows = b"".join(
        b'<row><c t="inlineStr"><is><t>' + os.urandom(32).hex().encode() + b"</t></is></c></row>"
        for _ in range(3000)
    )
    data = bytearray(workbook((b"<sheetData>", rows, b"</sheetData></worksheet>")))
    start = data.index(b"xl/worksheets/sheet1.xml") + 100  # inside the packed sheet
    data[start : start + 64] = bytes(64)
    response = upload(api, bytes(data), name="inventaris.xlsx")
    assert response.status_code == 400
    assert count_assets(member) == 0


def test_the_import_page_refuses_an_xlsx_zip_bomb_with_413(login_as, member, app, monkeypatch):  # noqa: F811
    client = login_as(make_user("member", member))
    never_parsed(monkeypatch)
    imports = Path(app.config["STORAGE_DIR"]) / "imports"
    before = set(imports.iterdir()) if imports.exists() else set()
    response = post_file(client, bomb(150), name="inventaris.xlsx")
    assert response.status_code == 413
    assert "XLSX" in response.text and "100" in response.text
    after = set(imports.iterdir()) if imports.exists() else set()
    assert after == before  # no upload kept for confirmation
    assert count_assets(member) == 0


def test_a_real_10000_row_xlsx_stays_within_the_limits():
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["code", "kind", "street", "house_number", "postcode", "municipality"])
    for number in range(10_000):
        sheet.append([f"BK-{number}", "ondergrondse brandkraan", "Kerkstraat", "1", "8850", "X"])
    out = io.BytesIO()
    book.save(out)
    importer.check_xlsx_archive(out.getvalue())  # no exception
