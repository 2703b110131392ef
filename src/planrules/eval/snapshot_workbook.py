"""Snapshots from workbooks (`.xlsx`, `.ods`), read with python-calamine (the `xlsx` extra).

Every sheet with content is a table whose first row with a `period` cell is its header (rows
above it are titles, and are skipped). A sheet is in one of two layouts:
- long: columns `period`, `metric`, `key` and `value`, a row per value (`key` empty for an
  unkeyed metric; the `key` column may be left out where no metric is keyed), and a column
  per dimension, named by it, for the keys of a metric by two dimensions (see `row_key`);
- wide: `period` and a column per metric, `metric.KEY` for each key of a keyed one, as in a
  CSV file; with a `key` column as well, a row per period and key, where a keyed metric's
  column holds its value at the row's key.
The sheets of a workbook are merged by period; two sheets giving one metric for one period
is an error naming both cells.

Cells typed as numbers are read as the spreadsheet shows them: the shortest decimal that
reads back as the cell's binary value, to at most 15 significant digits (what spreadsheets
keep), so 0.1 reads 0.1 and `=0.1+0.2` reads 0.3; a whole number past 2^53 with more digits
than that is an error, as its last digits are already lost. A percent-formatted cell holds
its fraction (21.95% is 0.2195) and reads so. Text cells are read as the locale writes
numbers. A date in the period column is the period of the cadence that holds it (the day
itself when rolling up, so that days are summed into the plan's periods). Formulas
are read through their saved values; calamine reads an error value (`#DIV/0!`) and a formula
whose value was never saved as an empty cell, so where a file holds either, the cells are
found (openpyxl for `.xlsx`, the document's XML for `.ods`) and an empty cell read there is
the error it is. Every error names the file, the sheet and the cell: `plan.xlsx:Sheet1!C7`.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import io
import math
import re
import zipfile
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import attrs

from planrules.eval.snapshot import (
    KEY_SEPARATOR,
    MetricShapes,
    MetricValue,
    Place,
    Scalar,
    Snapshot,
    SnapshotError,
    nested_metrics,
    nfc,
    shown,
)
from planrules.eval.snapshot_csv import (
    KeyColumns,
    LongHeader,
    RowProblem,
    declared_columns,
    dimension_columns,
    header_name,
    long_header,
    period_column,
    period_look_alike,
    put_value,
    row_key,
    undeclared_columns,
)
from planrules.eval.snapshot_data import read_period
from planrules.eval.snapshot_locale import TextNumbers
from planrules.eval.snapshot_numbers import ValueProblem, checked_int, exact_number
from planrules.lang.periods import Period, period_containing, period_label

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".ods")
OLD_EXCEL = (
    "is an Excel 97-2003 workbook (.xls), which is not read: save it as an Excel workbook "
    "(.xlsx) and give that file"
)
# Spreadsheets keep 15 significant digits; every decimal of at most 15 survives a double.
_SHOWN_DIGITS = 15
_SHOWN = decimal.Context(prec=_SHOWN_DIGITS, rounding=decimal.ROUND_HALF_EVEN)
_EXACT_WHOLE = 2**53  # every whole number up to this is exact in a double
_LAST_COLUMN = 16_384  # a sheet has no more columns
_LAST_ROW = 1_048_576  # a sheet has no more rows: data reaching it was likely cut off
_HEADER_ROWS = 10  # how far down the header row is looked for
_LONG = ("period", "metric", "key", "value")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # an encrypted .xlsx is an OLE file, not a zip
_XLSX_SUSPECT = re.compile(rb'<(?:\w+:)?f[\s>/]|\st="e"')
_ODS_ERROR = b'calcext:value-type="error"'
_ODS_COVERED = b"covered-table-cell"  # a cell under a merged one, which calamine reads as empty
_MERGED = "is part of merged cells: unmerge them and give every cell its own value"
_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_CALC_NS = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
_INSTALL = "reading workbooks needs the `xlsx` extra: pip install 'planrules[xlsx]'"

Cell = Any  # what calamine gives: str, int, float, bool, date, datetime, time or timedelta
# Cells that calamine reads as empty but are not: (sheet, row, column) -> what they hold.
Hidden = dict[tuple[str, int, int], str]


def snapshots_from_workbook(
    data: bytes, name: str, shapes: MetricShapes, numbers: TextNumbers, cadence: str | None
) -> list[Snapshot]:
    """One snapshot per period, from every sheet of the workbook in `data` (named `name`)."""
    try:
        import python_calamine
    except ImportError:
        raise SnapshotError(name, f"is a workbook; {_INSTALL}") from None
    _refuse_encrypted(data, name)
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError:
        raise SnapshotError(name, _ENCRYPTED) from None
    except Exception as problem:  # a foreign parser on untrusted bytes: any failure is "corrupt"
        raise SnapshotError(name, f"cannot be read as a workbook ({problem})") from None
    hidden = _hidden_cells(data, name)
    reader = _Reader(name, shapes, numbers, cadence, hidden)
    with workbook:
        for meta in workbook.sheets_metadata:
            if meta.typ == python_calamine.SheetTypeEnum.WorkSheet:
                load = functools.partial(workbook.get_sheet_by_name, meta.name)
                reader.read_sheet(_Sheet(name, meta.name, load))
    return reader.snapshots()


class _Sheet:
    """A sheet of calamine's, where any failure of calamine's (a sheet's XML that does not
    parse, a cell reference or number it cannot read) is one error naming the file and the
    sheet: a foreign parser on untrusted bytes can fail in any way."""

    def __init__(self, file: str, name: str, load: Any) -> None:
        self.file, self.name = file, name
        self.sheet = self.guarded(load)

    def guarded(self, call: Any) -> Any:
        try:
            return call()
        except SnapshotError:
            raise
        except Exception as problem:
            raise SnapshotError(
                f"{self.file}:{self.name}", f"the sheet cannot be read ({problem})"
            ) from None

    @property
    def start(self) -> tuple[int, int] | None:
        corner: tuple[int, int] | None = self.guarded(lambda: self.sheet.start)
        return corner

    @property
    def end(self) -> tuple[int, int] | None:
        corner: tuple[int, int] | None = self.guarded(lambda: self.sheet.end)
        return corner

    @property
    def merged_cell_ranges(self) -> Any:
        return self.guarded(lambda: self.sheet.merged_cell_ranges)

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        """Each row with content, with its index in the sheet (from 0). calamine gives the
        rows from the sheet's first (its empty rows above the data too) and the cells from
        the data's first column (`start`); a later calamine giving the rows from the data's
        first row is told by that row's content, as every row above it is empty."""
        start = self.start
        if start is None:
            return
        rows = self.guarded(self.sheet.iter_rows)
        first = self.guarded(lambda: next(rows, None))
        if first is None:
            return
        number = 0 if _blank_row(first) else start[0]
        while first is not None:
            if not _blank_row(first):
                yield number, first
            number += 1
            first = self.guarded(lambda: next(rows, None))


_ENCRYPTED = "is encrypted (it needs a password to open): save a copy without one"


def _refuse_encrypted(data: bytes, name: str) -> None:
    if data.startswith(_OLE_MAGIC) and not name.lower().endswith(".xls"):
        raise SnapshotError(name, _ENCRYPTED)
    if name.lower().endswith(".ods") and zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            manifest = _member(archive, "META-INF/manifest.xml")
        if b"encryption-data" in manifest:
            raise SnapshotError(name, _ENCRYPTED)


def _member(archive: zipfile.ZipFile, member: str) -> bytes:
    try:
        return archive.read(member)
    except (KeyError, zipfile.BadZipFile, OSError):
        return b""


# ---- cells calamine reads as empty --------------------------------------------------------


def _hidden_cells(data: bytes, name: str) -> Hidden:
    """Error values and formulas without a saved value, which calamine reads as empty."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        if "content.xml" in names:
            content = _member(archive, "content.xml")
            suspect = _ODS_ERROR in content or _ODS_COVERED in content
            return _ods_hidden(content) if suspect else {}
        sheets = [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        if not any(_XLSX_SUSPECT.search(_member(archive, sheet)) for sheet in sheets):
            return {}
    return _xlsx_hidden(data, name)


def _xlsx_hidden(data: bytes, name: str) -> Hidden:
    import openpyxl

    try:
        values = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as problem:  # as above: any failure of a parser here means a bad file
        raise SnapshotError(name, f"cannot be read as a workbook ({problem})") from None
    hidden: Hidden = {}
    for sheet in values.sheetnames:
        try:
            _sheet_hidden(values[sheet], formulas[sheet], sheet, hidden)
        except Exception as problem:  # as above, for one sheet's XML
            raise SnapshotError(
                f"{name}:{sheet}", f"the sheet cannot be read ({problem})"
            ) from None
    values.close()
    formulas.close()
    return hidden


def _sheet_hidden(values: Any, formulas: Any, sheet: str, hidden: Hidden) -> None:
    # Read-only sheets give every row from the first, every cell from column A.
    rows = zip(values.iter_rows(), formulas.iter_rows(), strict=False)
    for row, (value_row, formula_row) in enumerate(rows):
        for column, (value, formula) in enumerate(zip(value_row, formula_row, strict=False)):
            place = (sheet, row, column)
            if value.data_type == "e":
                hidden[place] = f"holds the error {shown(str(value.value))}"
            elif value.value is None and formula.data_type == "f":
                hidden[place] = (
                    "holds a formula whose value was never saved: open the file in a "
                    "spreadsheet program and save it, so that its values are saved too"
                )


def _ods_hidden(content: bytes) -> Hidden:
    """The error cells of an OpenDocument spreadsheet, and those covered by merged cells, by
    sheet, row and column."""
    hidden: Hidden = {}
    sheet, row, column = "", -1, 0
    for event, element in ElementTree.iterparse(io.BytesIO(content), ("start", "end")):
        tag = element.tag
        if event == "start":
            if tag == f"{{{_TABLE_NS}}}table":
                sheet, row = element.get(f"{{{_TABLE_NS}}}name", ""), -1
            elif tag == f"{{{_TABLE_NS}}}table-row":
                row, column = row + 1, 0
            continue
        if tag in (f"{{{_TABLE_NS}}}table-cell", f"{{{_TABLE_NS}}}covered-table-cell"):
            repeated = int(element.get(f"{{{_TABLE_NS}}}number-columns-repeated", "1"))
            if element.get(f"{{{_CALC_NS}}}value-type") == "error":
                text = "".join(element.itertext()) or "an error"
                hidden[(sheet, row, column)] = f"holds the error {shown(text)}"
            elif tag == f"{{{_TABLE_NS}}}covered-table-cell":
                for covered in range(column, column + min(repeated, _LAST_COLUMN)):
                    hidden[(sheet, row, covered)] = _MERGED
            column += repeated
            element.clear()
        elif tag == f"{{{_TABLE_NS}}}table-row":
            row += int(element.get(f"{{{_TABLE_NS}}}number-rows-repeated", "1")) - 1
            element.clear()
    return hidden


# ---- reading sheets --------------------------------------------------------------------------


@attrs.frozen
class _Given:
    """Where a period's metric was first given, for a second sheet that gives it too."""

    sheet: str
    row: int
    column: int


@attrs.define
class _Reader:
    """The sheets' values gathered by period, each checked as it comes."""

    name: str
    shapes: MetricShapes
    numbers: TextNumbers
    cadence: str | None
    hidden: Hidden
    metrics: dict[Period, dict[str, MetricValue]] = attrs.field(factory=dict)
    undeclared: dict[Period, dict[str, None]] = attrs.field(factory=dict)
    given: dict[tuple[Period, str], _Given] = attrs.field(factory=dict)
    values_at: dict[tuple[Period, str, str | None], tuple[int, int]] = attrs.field(factory=dict)

    def snapshots(self) -> list[Snapshot]:
        periods = sorted(self.metrics.keys() | self.undeclared.keys(), key=_start)
        return [
            Snapshot(
                period,
                self.metrics.get(period, {}),
                self.name,
                tuple(self.undeclared.get(period, ())),
            )
            for period in periods
        ]

    def place(self, sheet: str, row: int, column: int) -> Place:
        return Place(f"{self.name}:{sheet}!{cell_ref(row, column)}")

    def read_sheet(self, sheet: _Sheet) -> None:
        start = sheet.start
        if start is None:
            return  # an empty sheet holds nothing to read
        top, left = start
        rows = sheet.rows()
        header = self.header(sheet.name, rows, top, left)
        if header is None:
            return
        header_row, names = header
        self.refuse_merged(sheet, header_row)
        end = sheet.end
        if end is not None and end[0] + 1 >= _LAST_ROW:
            raise self.place(sheet.name, end[0], left).error(
                f"the sheet reaches its last row ({_LAST_ROW:,}), so its data may have been "
                "cut off: split it over several sheets or files"
            )
        table = _Table(self, sheet.name, left, header_row, names)
        for number, row in rows:
            table.read_row(number, row)

    def header(
        self, sheet: str, rows: Iterator[tuple[int, list[Cell]]], top: int, left: int
    ) -> tuple[int, list[str]] | None:
        """The header row's number and names (NFC); None for a sheet with no content."""
        seen_content = False
        seen_number = False
        near: tuple[int, int, str] | None = None  # a cell that looks like `period`
        for number, row in rows:
            if number - top >= _HEADER_ROWS:
                break
            names = [header_name(cell) if isinstance(cell, str) else "" for cell in row]
            if "period" in names:
                return number, names
            seen_content = True
            seen_number = seen_number or any(_numeric(cell) for cell in row)
            like = period_look_alike(names)
            if like is not None and near is None:
                near = (number, names.index(like), like)
        if near is not None:
            number, column, like = near
            raise self.place(sheet, number, left + column).error(
                f"`{shown(like)}` looks like `period`, the header of the period column: "
                "is it misspelt?"
            )
        if not seen_number:
            seen_number = any(_numeric(cell) for _, row in rows for cell in row)
        if not seen_content or not seen_number:
            return None  # empty, or notes: a sheet with no number holds no snapshots
        raise self.place(sheet, top, left).error(
            f"no row in the first {_HEADER_ROWS} has a `period` cell: a sheet of snapshots "
            "starts with a header such as `period, metric, key, value` or `period, revenue`"
        )

    def refuse_merged(self, sheet: _Sheet, header_row: int) -> None:
        """Merged cells in the table are an error; a title merged above it is harmless."""
        merged = [m for m in sheet.merged_cell_ranges or () if m[1][0] >= header_row]
        if merged:
            (top, left), (bottom, right) = merged[0]
            where = f"{cell_ref(top, left)}:{cell_ref(bottom, right)}"
            raise Place(f"{self.name}:{sheet.name}!{where}").error(
                "merged cells: unmerge them and give every cell its own value"
            )

    def add(
        self,
        at: _Given,
        period: Period,
        metric: str,
        key: str | None,
        value: Scalar,
        dated: bool = False,
    ) -> None:
        """A value of the cell `at` (in a row whose period is a date cell where `dated`); the
        places an error names are built only for an error, as a sheet can hold a million
        values."""
        first = self.given.setdefault((period, metric), at)
        if first.sheet != at.sheet:
            raise self.place(at.sheet, at.row, at.column).error(
                f"`{shown(metric)}` for {period_label(period)} is given in two sheets "
                f"(also at {first.sheet}!{cell_ref(first.row, first.column)})"
            )
        earlier = self.values_at.setdefault((period, metric, key), (at.row, at.column))
        if earlier != (at.row, at.column):
            what = f"`{shown(metric)}`" + (f" at key `{shown(key)}`" if key is not None else "")
            raise self.place(at.sheet, at.row, at.column).error(
                f"{what} for {period_label(period)} is given twice (also at {cell_ref(*earlier)})"
                + (self.finer_dates() if dated else "")
            )
        put_value(self.metrics.setdefault(period, {}), metric, key, value)

    def finer_dates(self) -> str:
        """Why two dates can be one period: they are days of a coarser plan's period."""
        if self.cadence in (None, "daily"):
            return ""
        return (
            f"; its dates are read as periods of the ruleset's cadence ({self.cadence}): to "
            "sum days into them, roll them up with `--roll-up` or the header `roll up`"
        )

    def note_undeclared(self, period: Period, names: Sequence[str]) -> None:
        if names:
            self.undeclared.setdefault(period, {}).update(dict.fromkeys(names))


def _start(period: Period) -> datetime.date:
    return period.start


def _numeric(cell: Cell) -> bool:
    """Whether a cell is a number or a date, as a sheet of snapshots holds and notes do not."""
    return not isinstance(cell, bool | str) and cell is not None


def _blank_row(row: list[Cell]) -> bool:
    return all(_blank(cell) for cell in row)


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def cell_ref(row: int, column: int) -> str:
    """`C7` for the row and column counted from 0."""
    letters = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"{letters}{row + 1}"


# ---- one sheet's table ----------------------------------------------------------------------


class _Table:
    """A sheet's header worked out once, then its rows read one at a time."""

    def __init__(
        self, reader: _Reader, sheet: str, left: int, header_row: int, names: list[str]
    ) -> None:
        self.reader, self.sheet, self.left = reader, sheet, left
        header_place = reader.place(sheet, header_row, left)
        self.period = period_column(names, header_place)
        self.long = long_header(names, reader.shapes, lambda index: self.place(header_row, index))
        self.key = names.index("key") if "key" in names else None
        self.keys: KeyColumns | None = None  # a wide table's key columns, where it has dimensions
        if self.long is not None:
            self.columns = []
            self.undeclared: tuple[str, ...] = ()
        else:
            self.columns = declared_columns(names, reader.shapes, header_place)
            dimensions = dimension_columns(names, reader.shapes)
            if dimensions:
                self.keys = KeyColumns(self.key, dimensions)
            named = {name for name, _ in dimensions}
            self.undeclared = tuple(
                name for name in undeclared_columns(names, reader.shapes) if name not in named
            )
        self.nested = nested_metrics(reader.shapes)
        self.rows_at: dict[tuple[Period, tuple[str | None, ...]], int] = {}
        self.periods: dict[str, Period] = {}
        self.dated = False  # whether the row being read has a date cell as its period

    def place(self, row: int, column: int) -> Place:
        return self.reader.place(self.sheet, row, self.left + column)

    def cell(self, row: list[Cell], number: int, column: int) -> Cell:
        """The cell, or where calamine read an error or an unsaved formula as empty, that
        error."""
        cell = row[column] if column < len(row) else None
        if _blank(cell):
            hidden = self.reader.hidden.get((self.sheet, number, self.left + column))
            if hidden is not None:
                raise self.place(number, column).error(hidden)
            return None
        return cell

    def read_row(self, number: int, row: list[Cell]) -> None:
        period = self.read_period(row, number)
        if self.long is not None:
            self.read_long(row, number, period, self.long)
        elif self.keys is not None:
            self.read_wide_by_dimensions(row, number, period, self.keys)
        else:
            self.read_wide(row, number, period, self.read_key(row, number))

    def read_period(self, row: list[Cell], number: int) -> Period:
        cell = self.cell(row, number, self.period)
        if isinstance(cell, str):
            self.dated = False
            known = self.periods.get(cell)  # a long sheet repeats each period many times
            if known is None:
                known = read_period(cell.strip(), lambda: self.place(number, self.period))
                self.periods[cell] = known
            return known
        self.dated = False
        place = self.place(number, self.period)
        if cell is None:
            raise place.error("the period is empty")
        if isinstance(cell, datetime.datetime):
            cell = cell.date()
        if isinstance(cell, datetime.date):
            self.dated = True
            return period_containing(cell, self.reader.cadence or "daily")
        if isinstance(cell, int | float) and not isinstance(cell, bool):
            raise place.error(_serial_problem(cell))
        return read_period(cell, lambda: place)

    def read_key(self, row: list[Cell], number: int) -> str | None:
        return None if self.key is None else self.key_text(row, number, self.key)

    def key_text(self, row: list[Cell], number: int, column: int) -> str | None:
        """A key's cell as text, None where it is blank."""
        cell = self.cell(row, number, column)
        if cell is None:
            return None
        if isinstance(cell, float) and cell.is_integer():
            cell = int(cell)  # a key typed as a number, such as a store's number
        return nfc(str(cell).strip())

    def read_long(self, row: list[Cell], number: int, period: Period, long: LongHeader) -> None:
        cell = self.cell(row, number, long.metric)
        if cell is None:
            raise self.place(number, long.metric).error("the metric is empty")
        metric = nfc(str(cell).strip())
        if metric not in self.reader.shapes:
            self.reader.note_undeclared(period, [metric])
            return
        value = self.cell(row, number, long.value)
        if value is None:
            return  # an empty value is absent, as null is in JSON
        key = self.keys_of(long.keys, long.value, metric, row, number)
        at = _Given(self.sheet, number, self.left + long.value)
        value = self.number(value, number, long.value)
        self.reader.add(at, period, metric, key, value, self.dated)

    def keys_of(
        self, keys: KeyColumns, value: int, metric: str, row: list[Cell], number: int
    ) -> str | None:
        """The key of `metric` given in the column `value` of a row, from its key columns."""
        try:
            return row_key(
                keys, value, metric, self.reader.shapes, lambda i: self.key_text(row, number, i)
            )
        except RowProblem as problem:
            raise self.place(number, problem.column).error(str(problem)) from None

    def once(self, number: int, period: Period, keys: tuple[str | None, ...]) -> None:
        """A wide table's row for a period and keys given before is an error."""
        first = self.rows_at.setdefault((period, keys), number)
        if first != number:
            key = KEY_SEPARATOR.join(key for key in keys if key is not None)
            what = period_label(period) + (f" at key `{shown(key)}`" if key else "")
            raise self.place(number, self.period).error(
                f"{what} is given twice (rows {first + 1} and {number + 1})"
                + (self.reader.finer_dates() if self.dated else "")
            )

    def read_wide_by_dimensions(
        self, row: list[Cell], number: int, period: Period, keys: KeyColumns
    ) -> None:
        """A row of a wide table with a column per dimension (`period, cua_hang, kenh,
        doanh_so`): a whole metric's column holds its value at the row's keys."""
        indexes = [keys.key] if keys.key is not None else []
        indexes += [index for _, index in keys.dimensions]
        self.once(number, period, tuple(self.key_text(row, number, i) for i in indexes))
        self.reader.note_undeclared(period, self.undeclared)
        for column in self.columns:
            value = self.cell(row, number, column.index)
            if value is None:
                continue
            if column.key is None:
                at = self.keys_of(keys, column.index, column.metric, row, number)
            elif column.misshapen is not None:
                raise self.place(number, column.index).error(column.misshapen)
            else:
                at = column.key
            number_value = self.number(value, number, column.index)
            given = _Given(self.sheet, number, self.left + column.index)
            self.reader.add(given, period, column.metric, at, number_value)

    def read_wide(self, row: list[Cell], number: int, period: Period, key: str | None) -> None:
        self.once(number, period, (key,))
        self.reader.note_undeclared(period, self.undeclared)
        for column in self.columns:
            value = self.cell(row, number, column.index)
            if value is None:
                continue
            keyed = self.reader.shapes[column.metric]
            at = column.key if column.key is not None else (key if keyed else None)
            problem = column.misshapen if key is None or not keyed else None
            if key is not None and not keyed:
                problem = f"`{shown(column.metric)}` is not keyed: give it on a row with no key"
            elif key is not None and column.key is None and column.metric in self.nested:
                problem = (
                    f"`{shown(column.metric)}` is keyed by two dimensions: give its keys in a "
                    "column per dimension, not in `key`"
                )
            if problem is not None:
                raise self.place(number, column.index).error(problem)
            number_value = self.number(value, number, column.index)
            given = _Given(self.sheet, number, self.left + column.index)
            self.reader.add(given, period, column.metric, at, number_value)

    def number(self, cell: Cell, row: int, column: int) -> Scalar:
        try:
            return sheet_number(cell, self.reader.numbers)
        except ValueProblem as problem:
            raise self.place(row, column).error(str(problem)) from None


def sheet_number(cell: Cell, numbers: TextNumbers) -> Scalar:
    """The exact value of a cell where a number is expected; raises ValueProblem."""
    if isinstance(cell, bool):
        raise ValueProblem(f"{str(cell).upper()} is not a number")
    if isinstance(cell, int):
        return checked_int(cell)
    if isinstance(cell, float):
        return shown_number(cell)
    if isinstance(cell, str):
        return numbers.read(cell)
    if isinstance(cell, datetime.date | datetime.time | datetime.timedelta):
        raise ValueProblem(f"the date or time {cell} is not a number: format the cell as a number")
    raise ValueProblem(f"{shown(repr(cell))} is not a number")


def shown_number(value: float) -> Scalar:
    """A number cell's value as the spreadsheet shows it (see the module's docstring)."""
    if not math.isfinite(value):
        raise ValueProblem(f"{value!r} is not a number")
    if value.is_integer() and abs(value) <= _EXACT_WHOLE:
        return checked_int(int(value))
    text = repr(value)
    number = Decimal(text)
    # The significant digits of the shortest repr, counted on its text, which is quicker.
    digits = len(text.partition("e")[0].replace("-", "").replace(".", "").strip("0"))
    if digits <= _SHOWN_DIGITS:
        return exact_number(number)
    if value.is_integer():
        raise ValueProblem(
            f"{number:f} has more digits than a spreadsheet keeps ({_SHOWN_DIGITS}), so its "
            "last digits are lost: write it as text"
        )
    return exact_number(_SHOWN.plus(number))


def _serial_problem(cell: float) -> str:
    problem = (
        f"the period is the number {_number_text(cell)}, where text such as 2026-07 is expected"
    )
    if 1 <= cell < 2_958_466:  # a serial up to 9999-12-31
        day = datetime.date(1899, 12, 30) + datetime.timedelta(days=int(cell))
        problem += (
            f"; if it is the date serial of {day.isoformat()}, format the column as dates "
            "or write the period as text"
        )
    return problem


def _number_text(cell: float) -> str:
    return str(int(cell)) if float(cell).is_integer() else repr(cell)
