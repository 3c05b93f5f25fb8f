"""Asset inventory files: parse and check a CSV or XLSX import, and write the CSV export.

Pure functions over bytes and pandas frames; nothing here touches the database. A file is read
whole into a frame of strings and every check runs on whole columns at once, so that a 10,000-row
file parses in a fraction of a second. Every invalid row is reported with its line number (the row
number a spreadsheet shows: the header is line 1) and why; a file-level problem (empty, not CSV or
XLSX, a missing column) is reported once, without a line.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pyproj import Transformer

from central.assets.models import ASSET_FIELDS, ASSET_TEXT_LENGTHS, MAX_DIAMETER_MM

# Canonical columns and the headers accepted for them (English, Dutch, common GIS spellings).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("code", "asset_code", "nummer"),
    "kind": ("kind", "type", "soort"),
    "street": ("street", "straat", "straatnaam"),
    "house_number": ("house_number", "huisnummer", "huisnr", "nr"),
    "postcode": ("postcode", "postal_code", "zip", "zip_code"),
    "municipality": ("municipality", "gemeente", "deelgemeente", "city"),
    "lat": ("lat", "latitude", "breedtegraad"),
    "lon": ("lon", "lng", "long", "longitude", "lengtegraad"),
    "x": ("x", "x_lambert", "lambert_x"),
    "y": ("y", "y_lambert", "lambert_y"),
    "water_company": ("water_company", "waterbedrijf", "watermaatschappij", "drinkwaterbedrijf"),
    "diameter_mm": ("diameter_mm", "diameter", "diameter_(mm)"),
    "measure": ("measure", "maat"),
    "notes": ("notes", "opmerkingen", "opmerking", "notities"),
}
_ALIAS_TO_COLUMN = {alias: col for col, aliases in HEADER_ALIASES.items() for alias in aliases}
# Every file has these columns (besides coordinates: `lat, lon` or `x, y`).
REQUIRED_COLUMNS = ("code", "kind", "street", "house_number", "postcode", "municipality")
TEXT_COLUMNS = (
    "code",
    "street",
    "house_number",
    "postcode",
    "municipality",
    "water_company",
    "notes",
)
# A column as the import page names it to a person (the API keeps the field name).
COLUMN_LABELS = {
    "code": _l("code"),
    "kind": _l("kind (soort)"),
    "street": _l("street"),
    "house_number": _l("house number"),
    "postcode": _l("postcode"),
    "municipality": _l("municipality"),
    "lat": _l("latitude (lat)"),
    "lon": _l("longitude (lon)"),
    "x": _l("x (Lambert 72)"),
    "y": _l("y (Lambert 72)"),
    "water_company": _l("water company"),
    "diameter_mm": _l("diameter (mm)"),
    "measure": _l("measure (m or m²)"),
    "notes": _l("notes"),
}


def column_label(column: str | None) -> str:
    return str(COLUMN_LABELS.get(column, column or ""))


MAX_LENGTH = ASSET_TEXT_LENGTHS
# A box around Belgium (WGS84), with a small margin for hydrants on the border.
BELGIUM_LAT = (49.45, 51.55)
BELGIUM_LON = (2.50, 6.45)
# Coordinates are kept to 7 decimals (about 1 cm): the same file gives the same stored values.
COORDINATE_DECIMALS = 7
# A measure (an asset's length or area) or a quantity: above 0, below MAX_MEASURE (ten million),
# two decimals.
_MEASURE = r"^\d{1,7}(?:\.\d{1,2})?$"

# Cells that a spreadsheet would run as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED_FORMULA = re.compile(r"^'(?=[=+\-@\t\r])")

XLSX_MAGIC = b"PK\x03\x04"
# An XLSX is a zip archive: a small file can unpack to gigabytes (a zip bomb) or name a sheet of
# a million rows, which the parser would allocate. Before parsing, the archive is unpacked as a
# stream (never whole), and refused (413) above these limits. A 10,000-row inventory unpacks to
# about 6 MB at a ratio of 12.
XLSX_MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # all members together, as really unpacked
XLSX_MAX_RATIO = 100  # unpacked / packed size of any member larger than 1 MB
XLSX_RATIO_FROM_BYTES = 1024 * 1024
XLSX_MAX_MEMBERS = 1000
XLSX_MAX_ROWS = 100_000  # of any sheet, the header included
XLSX_MAX_COLUMNS = 100
XLSX_MAX_CELLS = 2_000_000  # rows × columns of a sheet's extent
_UNPACK_CHUNK = 1024 * 1024
_SHEET_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(dimension|row|c)\b([^>]*)>")
# The usual sheet (Excel, LibreOffice, the Python writers): every row and cell names its position
# first, without a namespace prefix; read in bulk.
_ROW_REFS = re.compile(rb'<row r="(\d{1,7})"')
_CELL_ROWS = re.compile(rb'<c r="[A-Z]{1,3}(\d{1,7})"')
_CELL_COLUMNS = re.compile(rb'<c r="([A-Z]{1,3})\d')
_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\b([^>]*)>")
_CELL_REF = re.compile(rb'\br="([A-Z]{0,3})(\d{0,7})"')
_DIMENSION_END = re.compile(rb'\bref="[A-Z]{1,3}\d{1,7}(?::([A-Z]{1,3})(\d{1,7}))?"')
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_POSTCODE = r"^[1-9]\d{3}$"


@dataclass(frozen=True)
class Problem:
    """Why a row (or, with no line, the whole file) cannot be imported."""

    line: int | None
    message: str
    column: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass
class ParsedFile:
    """The rows of a file that passed every check, and every problem found."""

    rows: pd.DataFrame  # ASSET_FIELDS, indexed by line number
    problems: list[Problem] = field(default_factory=list)
    row_count: int = 0  # data rows in the file (blank lines not counted)
    file_format: str = "csv"
    ignored_columns: list[str] = field(default_factory=list)
    columns: frozenset[str] = frozenset()  # the known columns the file has

    @property
    def ok(self) -> bool:
        return not self.problems

    def records(self) -> list[dict[str, Any]]:
        """The valid rows as plain dicts (None for empty values), ready for a bulk statement."""
        plain = self.rows.astype(object)
        plain = plain.where(plain.notna(), None)
        out = plain.to_dict("records")
        for row in out:
            if row["diameter_mm"] is not None:
                row["diameter_mm"] = int(row["diameter_mm"])
            row["lat"] = float(row["lat"])
            row["lon"] = float(row["lon"])
        return out

    @property
    def file_problems(self) -> list[Problem]:
        return [p for p in self.problems if p.line is None]

    @property
    def row_problems(self) -> list[Problem]:
        return [p for p in self.problems if p.line is not None]


class FileProblem(Exception):
    """The file as a whole cannot be read; nothing in it is checked further."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class WorkbookTooLarge(FileProblem):
    """An XLSX above the unpacking limits (a zip bomb, or a sheet too large to parse)."""


@lru_cache(maxsize=1)
def lambert72_to_wgs84() -> Transformer:
    """Belgian Lambert 72 (EPSG:31370) to WGS84, x/y in and lon/lat out (SPEC section 5)."""
    return Transformer.from_crs("EPSG:31370", "EPSG:4326", always_xy=True)


def _empty_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=list(ASSET_FIELDS))


def parse_asset_file(data: bytes, kinds: Mapping[str, str]) -> ParsedFile:
    """Parse an import file (CSV or XLSX, recognised by content, not by name) and check each row.

    `kinds` maps a lower-case kind code or name (Dutch or English) to the kind's code.
    """
    try:
        grid, file_format = _read_grid(data)
        header_index, columns, ignored = _header(grid)
    except WorkbookTooLarge:
        raise
    except FileProblem as exc:
        return ParsedFile(rows=_empty_rows(), problems=[Problem(None, exc.message)])
    return _check_rows(grid, header_index, columns, ignored, kinds, file_format)


# --- reading ----------------------------------------------------------------------------------


def _read_grid(data: bytes) -> tuple[pd.DataFrame, str]:
    """The file as a frame of stripped strings, indexed by line number (1 = the first line)."""
    if not data or not data.lstrip(b"\xef\xbb\xbf \t\r\n"):
        raise FileProblem(_("The file is empty."))
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data), "xlsx"
    if data.startswith(_OLE_MAGIC):
        raise FileProblem(
            _("This is an old Excel (.xls) file. Save it as .xlsx or as CSV and try again.")
        )
    return _read_csv(data), "csv"


def _damaged() -> FileProblem:
    return FileProblem(_("The XLSX file cannot be read; it may be damaged."))


def _too_large() -> WorkbookTooLarge:
    return WorkbookTooLarge(
        _(
            "The XLSX file is too large to read: a sheet has at most %(rows)s rows and "
            "%(columns)d columns, and the whole file unpacks to at most %(megabytes)d MB.",
            rows=format_number(XLSX_MAX_ROWS),
            columns=XLSX_MAX_COLUMNS,
            megabytes=XLSX_MAX_UNPACKED_BYTES // (1024 * 1024),
        )
    )


class _SheetExtent:
    """The rows and columns a worksheet's XML spans, read tag by tag from unpacked chunks: the
    declared `<dimension>`, and the position of every row and cell (given by `r`, or implied by
    the one before)."""

    def __init__(self) -> None:
        self.row = self.column = self.max_row = self.max_column = 0
        self._rest = b""

    def feed(self, chunk: bytes) -> None:
        text = self._rest + chunk
        cut = text.rfind(b"<")
        if cut == -1:
            self._rest = b""
            return
        # A tag cut in two waits for the next chunk (a tag longer than 64 KB is no cell).
        self._rest = text[cut:] if len(text) - cut < 65536 else b""
        if not self._all_explicit(text[:cut]):
            for tag in _SHEET_TAG.finditer(text, 0, cut):
                self._tag(tag.group(1), tag.group(2))
        self._check()

    def _all_explicit(self, text: bytes) -> bool:
        """The usual case, in bulk: every row and cell names its position first, so the extent is
        the largest of them. False when a position is implied or a tag has a namespace prefix:
        then the tags are followed one by one."""
        rows = text.count(b"<row ") + text.count(b"<row>")
        cells = text.count(b"<c ") + text.count(b"<c>") + text.count(b"<c/")
        if (
            text.count(b'<row r="') != rows
            or text.count(b'<c r="') != cells
            or b":row" in text
            or b":c " in text
            or b":c>" in text
        ):
            return False
        for dimension in _DIMENSION.finditer(text):
            self._tag(b"dimension", dimension.group(1))
        row_refs, cell_columns = _ROW_REFS.findall(text), _CELL_COLUMNS.findall(text)
        row_numbers = set(row_refs) | set(_CELL_ROWS.findall(text))
        if row_refs:
            self.row = int(row_refs[-1])
        if row_numbers:
            self._reach(max(map(int, row_numbers)), 0)
        if cell_columns:
            self.column = _column_number(cell_columns[-1])
            self._reach(0, max(map(_column_number, set(cell_columns))))
        return True

    def _tag(self, name: bytes, attributes: bytes) -> None:
        if name == b"dimension":
            end = _DIMENSION_END.search(attributes)
            if end and end.group(1):
                self._reach(int(end.group(2)), _column_number(end.group(1)))
            return
        ref = _CELL_REF.search(attributes)
        letters, digits = (ref.group(1), ref.group(2)) if ref else (b"", b"")
        if name == b"row":
            self.row = int(digits) if digits else self.row + 1
            self.column = 0
        else:
            if digits:
                self.row = int(digits)
            self.column = _column_number(letters) if letters else self.column + 1
        self._reach(self.row, self.column)

    def _reach(self, row: int, column: int) -> None:
        self.max_row, self.max_column = max(self.max_row, row), max(self.max_column, column)

    def _check(self) -> None:
        if (
            self.max_row > XLSX_MAX_ROWS
            or self.max_column > XLSX_MAX_COLUMNS
            or self.max_row * self.max_column > XLSX_MAX_CELLS
        ):
            raise _too_large()


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def check_xlsx_archive(data: bytes) -> None:
    """Refuse an XLSX before any parser reads it: not a workbook (FileProblem, 400), or above the
    limits (WorkbookTooLarge, 413) by its members' declared or real unpacked sizes, their packing
    ratio, or a sheet's rows and columns. Every member is unpacked as a stream to its end, so that
    a size the archive misstates fails its CRC check instead of being believed."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise _damaged() from None
    with archive:
        members = archive.infolist()
        if "xl/workbook.xml" not in {m.filename for m in members}:
            raise FileProblem(_("The file is not a CSV or XLSX file."))
        if len(members) > XLSX_MAX_MEMBERS:
            raise _too_large()
        if sum(m.file_size for m in members) > XLSX_MAX_UNPACKED_BYTES or any(
            m.file_size > XLSX_RATIO_FROM_BYTES
            and m.file_size > XLSX_MAX_RATIO * max(m.compress_size, 1)
            for m in members
        ):
            raise _too_large()
        unpacked = 0
        for member in members:
            name = member.filename
            sheet = name.startswith("xl/worksheets/") and name.endswith(".xml")
            extent = _SheetExtent() if sheet else None
            try:
                with archive.open(member) as stream:
                    while chunk := stream.read(_UNPACK_CHUNK):
                        unpacked += len(chunk)
                        if unpacked > XLSX_MAX_UNPACKED_BYTES:
                            raise _too_large()
                        if extent is not None:
                            extent.feed(chunk)
            except WorkbookTooLarge:
                raise
            except (
                zipfile.BadZipFile,
                zlib.error,
                OSError,
                EOFError,
                RuntimeError,
                NotImplementedError,
            ):
                raise _damaged() from None  # a wrong CRC or size, an unknown method, a password


def _read_xlsx(data: bytes) -> pd.DataFrame:
    check_xlsx_archive(data)
    try:
        raw = pd.read_excel(
            io.BytesIO(data), sheet_name=0, header=None, dtype=object, engine="calamine"
        )
    except Exception:  # a damaged workbook: the reader raises many kinds
        raise _damaged() from None
    if raw.empty:
        raise FileProblem(_("The file is empty."))
    raw.index = raw.index + 1  # spreadsheet row numbers
    return raw.map(_cell_text)


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a user typed: 12 not 12.0, a date without its time."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    return str(value).strip()


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Excel's "CSV (semicolon separated)" on a Belgian Windows writes Windows-1252.
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise FileProblem(_("The file is not a CSV or XLSX file.")) from None


def _sniff_separator(first_line: str) -> str:
    """`;`, tab or `,`: whichever the header line holds most often (outside quotes)."""
    unquoted = re.sub(r'"[^"]*"', "", first_line)
    counts = {sep: unquoted.count(sep) for sep in (";", "\t", ",")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _read_csv(data: bytes) -> pd.DataFrame:
    text = _decode(data)
    if _CONTROL_CHARS.search(text[:65536]):
        raise FileProblem(_("The file is not a CSV or XLSX file."))
    text = text.lstrip("\ufeff")
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    separator = _sniff_separator(first_line)
    # The csv module, not pandas' reader: it keeps every record's line number and takes
    # short and long rows as they are, so that each can be reported.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    records: list[list[str]] = []
    lines: list[int] = []
    start = 1
    try:
        for record in reader:
            records.append(record)
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error:
        raise FileProblem(
            _("The file cannot be read as CSV near line %(line)d.", line=reader.line_num)
        ) from None
    width = max((len(r) for r in records), default=0)
    grid = pd.DataFrame([r + [""] * (width - len(r)) for r in records], index=lines, dtype=str)
    grid.attrs["separator"] = separator
    grid.attrs["widths"] = pd.Series([len(r) for r in records], index=lines)
    return grid.apply(lambda col: col.str.strip()) if width else grid


def _normalise_header(name: str) -> str:
    name = name.strip().lstrip("\ufeff").strip().lower()
    return re.sub(r"[\s\-./]+", "_", name)


def _header(grid: pd.DataFrame) -> tuple[int, dict[str, int], list[str]]:
    """The header line, the position of each known column, and the names of ignored ones."""
    filled = grid.ne("").any(axis=1) if len(grid.columns) else pd.Series(dtype=bool)
    if not filled.any():
        raise FileProblem(_("The file is empty."))
    header_line = int(filled.idxmax())
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for position, raw in enumerate(grid.loc[header_line]):
        if not raw:
            continue
        canonical = _ALIAS_TO_COLUMN.get(_normalise_header(raw))
        if canonical is None:
            ignored.append(raw)
        elif canonical in columns:
            raise FileProblem(
                _("The column %(column)s appears twice in the header.", column=canonical)
            )
        else:
            columns[canonical] = position
    if not columns:
        raise FileProblem(
            _(
                "The first line must name the columns: code, kind, street, house_number, "
                "postcode, municipality and lat, lon or x, y."
            )
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    has_wgs84 = "lat" in columns and "lon" in columns
    has_lambert = "x" in columns and "y" in columns
    if not (has_wgs84 or has_lambert):
        missing.append(_("lat and lon, or x and y"))
    if missing:
        raise FileProblem(
            _("Missing column: %(columns)s.", columns=", ".join(missing))
            if len(missing) == 1
            else _("Missing columns: %(columns)s.", columns=", ".join(missing))
        )
    return header_line, columns, ignored


# --- checking ---------------------------------------------------------------------------------


class _Problems:
    """Collects problems column-wise: a boolean mask per check, messages built for hits only."""

    def __init__(self) -> None:
        self.items: list[tuple[int, int, Problem]] = []
        self._order = 0

    def add(self, mask: pd.Series, column: str | None, message) -> None:
        """`message` is a string, or a callable taking the line number for row-specific text."""
        self._order += 1
        for line in mask.index[mask.to_numpy(dtype=bool)]:
            text = str(message(line) if callable(message) else message)
            self.items.append((int(line), self._order, Problem(int(line), text, column)))

    def sorted(self) -> list[Problem]:
        return [p for _line, _order, p in sorted(self.items, key=lambda item: item[:2])]


def _number(values: pd.Series, decimal_comma: bool) -> pd.Series:
    """Strings to floats (NaN where empty or not a number); `50,94` too where allowed."""
    text = values.str.replace(" ", "", regex=False)
    if decimal_comma:
        text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text.where(text != "", None), errors="coerce").astype(float)


def _check_rows(
    grid: pd.DataFrame,
    header_line: int,
    columns: dict[str, int],
    ignored: list[str],
    kinds: Mapping[str, str],
    file_format: str,
) -> ParsedFile:
    body = grid.loc[grid.index > header_line]
    body = body.loc[body.ne("").any(axis=1)] if len(body) else body
    if body.empty:
        return ParsedFile(
            rows=_empty_rows(),
            problems=[Problem(None, _("The file has a header but no rows."))],
            file_format=file_format,
            ignored_columns=ignored,
        )
    problems = _Problems()
    separator = grid.attrs.get("separator")
    widths = grid.attrs.get("widths")
    if widths is not None:
        header_width = int(widths.loc[header_line])
        row_widths = widths.loc[body.index]
        # A row longer than the header lost its alignment (e.g. an unquoted comma in a field).
        extra = (
            body.iloc[:, header_width:].ne("").any(axis=1) if body.shape[1] > header_width else None
        )
        if extra is not None:
            problems.add(
                extra,
                None,
                lambda line: _(
                    "The row has %(found)d fields but the header has %(expected)d.",
                    found=int(row_widths.loc[line]),
                    expected=header_width,
                ),
            )
    frame = pd.DataFrame(
        {name: body.iloc[:, position] for name, position in columns.items()}, index=body.index
    )
    for name in TEXT_COLUMNS:
        if name in frame:
            # A leading apostrophe is how our export (and Excel) keeps a formula as text.
            frame[name] = frame[name].str.replace(_ESCAPED_FORMULA, "", regex=True)
        else:
            frame[name] = ""

    # Required values.
    for name, message in (
        ("code", _l("The code is empty.")),
        ("street", _l("The street is empty.")),
        ("municipality", _l("The municipality is empty.")),
    ):
        problems.add(frame[name] == "", name, message)
    for name, limit in MAX_LENGTH.items():
        if name == "postcode":
            continue  # its format check says more
        too_long = frame[name].str.len() > limit
        problems.add(
            too_long,
            name,
            _l("The %(column)s is longer than %(limit)d characters.", column=name, limit=limit),
        )

    # Codes are unique in the file; later lines point at the first one.
    codes = frame["code"]
    first_line = pd.Series(codes.index, index=codes.index).groupby(codes.values).transform("min")
    duplicate = (codes != "") & codes.duplicated(keep="first")
    problems.add(
        duplicate,
        "code",
        lambda line: _(
            'The code "%(code)s" is already on line %(first)d.',
            code=codes.loc[line],
            first=int(first_line.loc[line]),
        ),
    )

    # Kind: a code or a name of a known asset kind.
    kind_text = frame["kind"] if "kind" in frame else pd.Series("", index=frame.index)
    kind_code = kind_text.str.lower().map(dict(kinds))
    problems.add(kind_text == "", "kind", _l("The kind is empty."))
    problems.add(
        (kind_text != "") & kind_code.isna(),
        "kind",
        lambda line: _(
            'Unknown kind "%(kind)s". Use one of: %(known)s.',
            kind=kind_text.loc[line],
            known=", ".join(sorted(set(kinds.values()))),
        ),
    )

    lat, lon = _coordinates(frame, columns, separator, problems)

    # Optional values.
    postcode = frame["postcode"]
    problems.add(
        (postcode != "") & ~postcode.str.match(_POSTCODE),
        "postcode",
        _l("The postcode must be four digits."),
    )
    empty = pd.Series("", index=frame.index)
    diameter_text = frame["diameter_mm"] if "diameter_mm" in columns else empty
    diameter = _number(diameter_text, decimal_comma=separator != ",")
    bad_diameter = (diameter_text != "") & (
        diameter.isna()
        | (diameter <= 0)
        | (diameter > MAX_DIAMETER_MM)
        | (diameter.round() != diameter)
    )
    problems.add(
        bad_diameter,
        "diameter_mm",
        _l(
            "The diameter must be a whole number of millimetres (1 to %(max)d).",
            max=MAX_DIAMETER_MM,
        ),
    )
    measure_text = frame["measure"] if "measure" in columns else empty
    measure_text = measure_text.str.replace(" ", "", regex=False)
    if separator != ",":
        measure_text = measure_text.str.replace(",", ".", regex=False)
    bad_measure = (measure_text != "") & ~(
        measure_text.str.match(_MEASURE) & (pd.to_numeric(measure_text, errors="coerce") > 0)
    )
    problems.add(
        bad_measure,
        "measure",
        _l("The measure must be a number above 0 and below 10,000,000, with at most two decimals."),
    )
    good_measure = (measure_text != "") & ~bad_measure
    measure = pd.Series(None, index=frame.index, dtype=object)
    measure[good_measure] = [Decimal(text) for text in measure_text[good_measure]]

    found = problems.sorted()
    bad_lines = {p.line for p in found}
    good = ~frame.index.isin(list(bad_lines))
    rows = pd.DataFrame(
        {
            "code": frame["code"],
            "kind": kind_code,
            "street": frame["street"],
            "house_number": frame["house_number"],
            "postcode": frame["postcode"],
            "municipality": frame["municipality"],
            "lat": lat.round(COORDINATE_DECIMALS),
            "lon": lon.round(COORDINATE_DECIMALS),
            "water_company": frame["water_company"],
            "diameter_mm": diameter.where(~bad_diameter).astype("Int64"),
            "measure": measure,
            "notes": frame["notes"],
        },
        index=frame.index,
    ).loc[good]
    for name in ("house_number", "postcode", "water_company", "notes"):
        rows[name] = rows[name].where(rows[name] != "", None)
    return ParsedFile(
        rows=rows,
        problems=found,
        row_count=len(frame),
        file_format=file_format,
        ignored_columns=ignored,
        columns=frozenset(columns),
    )


def _coordinates(
    frame: pd.DataFrame, columns: dict[str, int], separator: str | None, problems: _Problems
) -> tuple[pd.Series, pd.Series]:
    """WGS84 lat/lon per row: given as `lat, lon`, or converted from Lambert 72 `x, y`."""
    decimal_comma = separator != ","
    empty = pd.Series("", index=frame.index)
    lat_text = frame["lat"] if "lat" in columns else empty
    lon_text = frame["lon"] if "lon" in columns else empty
    x_text = frame["x"] if "x" in columns else empty
    y_text = frame["y"] if "y" in columns else empty
    use_wgs84 = (lat_text != "") | (lon_text != "")
    use_lambert = ~use_wgs84 & ((x_text != "") | (y_text != ""))
    problems.add(
        ~use_wgs84 & ~use_lambert,
        "lat" if "lat" in columns else "x",
        _l("The coordinates are empty (lat and lon, or x and y)."),
    )

    lat = _number(lat_text, decimal_comma)
    lon = _number(lon_text, decimal_comma)
    x = _number(x_text, decimal_comma)
    y = _number(y_text, decimal_comma)
    for name, values, used in (
        ("lat", lat, use_wgs84),
        ("lon", lon, use_wgs84),
        ("x", x, use_lambert),
        ("y", y, use_lambert),
    ):
        problems.add(
            used & values.isna(), name, _l("%(column)s is empty or not a number.", column=name)
        )

    lambert_ok = use_lambert & x.notna() & y.notna()
    if lambert_ok.any():
        lons, lats = lambert72_to_wgs84().transform(
            x[lambert_ok].to_numpy(), y[lambert_ok].to_numpy()
        )
        lat = lat.copy()
        lon = lon.copy()
        lat[lambert_ok] = lats
        lon[lambert_ok] = lons
    lat = lat.where(np.isfinite(lat))
    lon = lon.where(np.isfinite(lon))

    known = (use_wgs84 & lat.notna() & lon.notna()) | lambert_ok
    outside = known & ~_in_belgium(lat, lon)
    swapped = outside & use_wgs84 & _in_belgium(lon, lat)
    problems.add(
        outside & ~swapped,
        "x" if "lat" not in columns else "lat",
        lambda line: _(
            "The coordinates (%(lat)s, %(lon)s) are outside Belgium.",
            lat=_fmt(lat.loc[line]),
            lon=_fmt(lon.loc[line]),
        ),
    )
    problems.add(
        swapped,
        "lat",
        _l("The coordinates are outside Belgium; are lat and lon swapped?"),
    )
    return lat, lon


def _in_belgium(lat: pd.Series, lon: pd.Series) -> pd.Series:
    return lat.between(*BELGIUM_LAT) & lon.between(*BELGIUM_LON)


def _fmt(value: float) -> str:
    return "—" if pd.isna(value) else f"{value:.5f}"


def in_belgium(lat: float, lon: float) -> bool:
    """Whether a WGS84 point lies in the box around Belgium that imports accept."""
    return BELGIUM_LAT[0] <= lat <= BELGIUM_LAT[1] and BELGIUM_LON[0] <= lon <= BELGIUM_LON[1]


# --- export -----------------------------------------------------------------------------------


def escape_formula(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def export_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """Assets as a `;`-separated UTF-8 CSV with a BOM and decimal commas, as Excel in Belgium
    opens it; the import reads it back unchanged (apostrophes before formulas included)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(ASSET_FIELDS)
    for row in rows:
        cells = []
        for name in ASSET_FIELDS:
            value = row.get(name)
            if value is None:
                cells.append("")
            elif name in ("lat", "lon"):
                cells.append(
                    f"{value:.{COORDINATE_DECIMALS}f}".rstrip("0").rstrip(".").replace(".", ",")
                )
            elif isinstance(value, Decimal):
                cells.append(str(value).replace(".", ","))
            elif isinstance(value, int | float):
                cells.append(str(value))
            else:
                cells.append(escape_formula(str(value)))
        writer.writerow(cells)
    return out.getvalue()
