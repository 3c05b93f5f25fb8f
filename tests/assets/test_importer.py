"""The asset import file format: parsing, every bad-input case, Lambert 72, export escaping."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from flask import session
from pyproj import Transformer

from central.assets.importer import export_csv, parse_asset_file

KINDS = {
    "hydrant_underground": "hydrant_underground",
    "ondergrondse brandkraan": "hydrant_underground",
    "hydrant_pillar": "hydrant_pillar",
    "bovengrondse brandkraan": "hydrant_pillar",
}
HEADER = "code,kind,street,house_number,postcode,municipality,lat,lon"


@pytest.fixture(autouse=True)
def english(app):
    """Messages are translated; these tests read them in English."""
    with app.test_request_context():
        session["lang"] = "en"
        yield


def parse(text: str | bytes):
    return parse_asset_file(text.encode() if isinstance(text, str) else text, KINDS)


def messages(result) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in result.problems]


def xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_english_comma_file_parses():
    result = parse(
        f"{HEADER},water_company,diameter_mm,notes\n"
        "HK-1,hydrant_underground,Kerkstraat,12,8800,Roeselare,50.9465,3.1235,De Watergroep,100,"
        "by the church\n"
    )
    assert result.ok, result.problems
    [row] = result.records()
    assert row == {
        "code": "HK-1",
        "kind": "hydrant_underground",
        "street": "Kerkstraat",
        "house_number": "12",
        "postcode": "8800",
        "municipality": "Roeselare",
        "lat": 50.9465,
        "lon": 3.1235,
        "water_company": "De Watergroep",
        "diameter_mm": 100,
        "measure": None,
        "notes": "by the church",
    }


def test_dutch_headers_semicolons_bom_and_decimal_commas():
    data = (
        "\ufeffcode;type;straat;huisnummer;postcode;gemeente;lat;lon\r\n"
        "HK-1;ondergrondse brandkraan;Kerkstraat;;8800;Roeselare;50,9465;3,1235\r\n"
        "HK-2;Bovengrondse Brandkraan;Markt;1A;8800;Roeselare;50,95;3,12\r\n"
    ).encode("utf-8")
    result = parse(data)
    assert result.ok, result.problems
    rows = result.records()
    assert [r["kind"] for r in rows] == ["hydrant_underground", "hydrant_pillar"]
    assert rows[0]["lat"] == 50.9465 and rows[0]["lon"] == 3.1235
    assert rows[0]["house_number"] is None


def test_windows_1252_file_from_excel_is_read():
    data = f"{HEADER}\nHK-1,hydrant_pillar,Rue de l'Église,1,7500,Tournai,50.6,3.39\n".encode(
        "cp1252"
    )
    result = parse(data)
    assert result.ok
    assert result.records()[0]["street"] == "Rue de l'Église"


def test_lambert72_is_converted_with_pyproj_against_a_known_point():
    # EPSG Guidance Note 7-2, Belgian Lambert 72 example: E 251763.20, N 153034.13 is
    # 50°40'46.461"N 5°48'26.533"E on the Belgian Datum 1972.
    x, y = 251763.20, 153034.13
    lon_bd72, lat_bd72 = Transformer.from_crs("EPSG:31370", "EPSG:4313", always_xy=True).transform(
        x, y
    )
    assert lat_bd72 == pytest.approx(50 + 40 / 60 + 46.461 / 3600, abs=1e-6)
    assert lon_bd72 == pytest.approx(5 + 48 / 60 + 26.533 / 3600, abs=1e-6)

    result = parse(
        "code;type;straat;huisnummer;postcode;gemeente;x;y\n"
        "HK-1;hydrant_pillar;Kerkstraat;1;4000;Luik;251763,20;153034,13\n"
    )
    assert result.ok, result.problems
    [row] = result.records()
    lon, lat = Transformer.from_crs("EPSG:31370", "EPSG:4326", always_xy=True).transform(x, y)
    assert row["lat"] == round(lat, 7) and row["lon"] == round(lon, 7)
    # WGS84 differs from BD72 by the datum shift (tens of metres), not by a swapped axis.
    assert 1e-5 < abs(row["lat"] - lat_bd72) < 2e-3
    assert 1e-5 < abs(row["lon"] - lon_bd72) < 3e-3


def test_xlsx_is_recognised_by_content_with_spreadsheet_line_numbers():
    data = xlsx(
        [
            [],
            ["Code", "Type", "Straat", "Huisnummer", "Postcode", "Gemeente", "X", "Y"],
            [1001, "hydrant_underground", "Kerkstraat", 12, 8800, "Roeselare", 63000, 186000],
            [],
            [1002, "onbekend", "Kerkstraat", 14, 8800, "Roeselare", 63010, 186010],
        ]
    )
    result = parse(data)
    assert result.file_format == "xlsx"
    assert messages(result) == [
        (5, 'Unknown kind "onbekend". Use one of: hydrant_pillar, hydrant_underground.')
    ]
    [row] = result.records()
    assert row["code"] == "1001" and row["house_number"] == "12" and row["postcode"] == "8800"


def test_missing_required_column_is_one_file_error():
    result = parse(
        "code,kind,street,postcode,municipality,lat,lon\nA,hydrant_pillar,S,8800,R,51,3\n"
    )
    assert messages(result) == [(None, "Missing column: house_number.")]
    assert result.rows.empty


def test_missing_coordinate_columns_is_a_file_error():
    result = parse("code,kind,street,house_number,postcode,municipality,lat\n")
    assert messages(result) == [(None, "Missing column: lat and lon, or x and y.")]


def test_unknown_kind_is_reported_with_its_line():
    result = parse(f"{HEADER}\nA,hydrant_pillar,S,1,8800,R,51,3\nB,kraan,S,1,8800,R,51,3\n")
    assert messages(result) == [
        (3, 'Unknown kind "kraan". Use one of: hydrant_pillar, hydrant_underground.')
    ]
    assert not result.ok


def test_coordinates_outside_belgium_are_refused():
    result = parse(
        f"{HEADER}\n"
        "A,hydrant_pillar,S,1,8800,R,52.37,4.89\n"  # Amsterdam
        "B,hydrant_pillar,S,1,8800,R,3.12,50.94\n"  # lat and lon swapped
    )
    assert messages(result) == [
        (2, "The coordinates (52.37000, 4.89000) are outside Belgium."),
        (3, "The coordinates are outside Belgium; are lat and lon swapped?"),
    ]


def test_lambert_coordinates_outside_belgium_are_refused():
    result = parse(
        "code;type;straat;huisnummer;postcode;gemeente;x;y\nA;hydrant_pillar;S;1;8800;R;1;1\n"
    )
    assert [p.line for p in result.problems] == [2]
    assert "outside Belgium" in result.problems[0].message


def test_duplicate_code_inside_the_file_points_at_the_first_line():
    result = parse(
        f"{HEADER}\nA,hydrant_pillar,S,1,8800,R,51,3\nB,hydrant_pillar,S,1,8800,R,51,3\n"
        "A,hydrant_pillar,S,2,8800,R,51,3\n"
    )
    assert messages(result) == [(4, 'The code "A" is already on line 2.')]


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"  \r\n\r\n", b";;;\n;;\n"])
def test_empty_file_is_refused(data):
    assert messages(parse(data)) == [(None, "The file is empty.")]


def test_header_without_rows_is_refused():
    assert messages(parse(HEADER + "\n\n")) == [(None, "The file has a header but no rows.")]


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n\x00\x01\x02binary",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"PK\x03\x04not really a zip",
    ],
)
def test_file_that_is_not_csv_or_xlsx_is_refused(data):
    result = parse(data)
    assert len(result.problems) == 1 and result.problems[0].line is None
    assert (
        "not a CSV or XLSX" in result.problems[0].message or "damaged" in result.problems[0].message
    )


def test_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    assert messages(parse(out.getvalue())) == [(None, "The file is not a CSV or XLSX file.")]


def test_old_xls_is_refused_with_advice():
    result = parse(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    assert "old Excel" in result.problems[0].message


def test_text_without_a_header_is_refused():
    result = parse("Dear colleagues,\nhere are our hydrants.\n")
    assert result.problems[0].line is None
    assert "first line must name the columns" in result.problems[0].message


def test_every_bad_row_is_reported_not_only_the_first():
    result = parse(
        f"{HEADER},diameter_mm\n"
        ",hydrant_pillar,S,1,8800,R,51,3,100\n"
        "B,hydrant_pillar,,1,88,R,51,3,abc\n"
        "C,hydrant_pillar,S,1,8800,,,3,100\n"
        "D,hydrant_pillar,S,1,8800,R,51,3,100\n"
    )
    assert messages(result) == [
        (2, "The code is empty."),
        (3, "The street is empty."),
        (3, "The postcode must be four digits."),
        (3, "The diameter must be a whole number of millimetres (1 to 2000)."),
        (4, "The municipality is empty."),
        (4, "lat is empty or not a number."),
    ]
    assert list(result.rows["code"]) == ["D"]
    assert result.row_count == 4


def test_long_row_from_an_unquoted_comma_is_reported():
    result = parse(f"{HEADER}\nA,hydrant_pillar,Kerkstraat 1,2,8800,R,51,3,oops\n")
    assert messages(result) == [(2, "The row has 9 fields but the header has 8.")]


def test_line_numbers_count_quoted_line_breaks():
    result = parse(
        f'{HEADER},notes\nA,hydrant_pillar,S,1,8800,R,51,3,"two\nlines"\nB,x,S,1,8800,R,51,3,\n'
    )
    assert [p.line for p in result.problems] == [4]


def test_formula_injection_is_kept_as_text():
    result = parse(
        f"{HEADER},notes\n"
        'A,hydrant_pillar,"=HYPERLINK(""http://evil.example"",""click"")",1,8800,R,51,3,@SUM(A1)\n'
    )
    assert result.ok
    [row] = result.records()
    assert row["street"] == '=HYPERLINK("http://evil.example","click")'
    assert row["notes"] == "@SUM(A1)"


def test_export_escapes_formulas_and_reimports_unchanged():
    rows = [
        {
            "code": "A",
            "kind": "hydrant_pillar",
            "street": '=HYPERLINK("http://evil.example","click")',
            "house_number": "-1",
            "postcode": "8800",
            "municipality": "+Roeselare",
            "lat": 50.9465123,
            "lon": 3.1235,
            "water_company": "@Watergroep",
            "diameter_mm": 100,
            "measure": Decimal("12.50"),
            "notes": None,
        }
    ]
    text = export_csv(rows)
    cells = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert cells[1][2] == '\'=HYPERLINK("http://evil.example","click")'
    assert cells[1][3] == "'-1" and cells[1][5] == "'+Roeselare" and cells[1][8] == "'@Watergroep"
    assert cells[1][6] == "50,9465123"
    assert cells[1][10] == "12,50"  # a decimal comma, as the import reads it back
    again = parse(text.encode("utf-8"))
    assert again.ok, again.problems
    assert again.records() == rows


def test_a_ten_thousand_row_xlsx_parses_whole():
    """Every row of a large workbook is read (its speed is measured by the benchmark, `python
    -m bench.run --only import`, not by a timed test on a shared machine)."""
    rows = [["code", "kind", "street", "house_number", "postcode", "municipality", "lat", "lon"]]
    rows += [
        [f"HK-{i:05d}", "hydrant_underground", "Kerkstraat", i, 8800, "Roeselare", 50.9, 3.1]
        for i in range(10_000)
    ]
    result = parse(xlsx(rows))
    assert result.ok and len(result.rows) == 10_000


def test_measure_column_is_optional_decimal_and_checked():
    result = parse(
        f"{HEADER},measure\n"
        "A,hydrant_pillar,S,1,8800,R,50.9,3.1,40.5\n"
        "B,hydrant_pillar,S,1,8800,R,50.9,3.1,\n"
        "C,hydrant_pillar,S,1,8800,R,50.9,3.1,0.00\n"
        "D,hydrant_pillar,S,1,8800,R,50.9,3.1,2.999\n"
    )
    message = (
        "The measure must be a number above 0 and below 10,000,000, with at most two decimals."
    )
    assert messages(result) == [(4, message), (5, message)]
    assert [(r["code"], r["measure"]) for r in result.records()] == [
        ("A", Decimal("40.5")),
        ("B", None),
    ]


def test_measure_from_xlsx_under_its_dutch_header():
    data = xlsx(
        [
            ["code", "type", "straat", "huisnummer", "postcode", "gemeente", "lat", "lon", "Maat"],
            ["H-1", "hydrant_pillar", "Markt", 1, 8800, "Roeselare", 50.9, 3.1, 40.25],
            ["H-2", "hydrant_pillar", "Markt", 2, 8800, "Roeselare", 50.9, 3.1, 120],
        ]
    )
    result = parse(data)
    assert result.ok, result.problems
    assert [r["measure"] for r in result.records()] == [Decimal("40.25"), Decimal("120")]
