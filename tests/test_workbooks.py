"""Workbook snapshots (.xlsx, .ods): both layouts, exact numbers, and every bad input named by
file, sheet and cell. The fixtures in tests/data were saved by LibreOffice (converted from the
CSV files beside them); the rest are written here with openpyxl."""

from __future__ import annotations

import datetime
import json
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

import planrules
from planrules.cli import main
from planrules.eval.history import read_snapshot_file
from planrules.eval.snapshot import SnapshotError
from planrules.eval.snapshot_locale import TextNumbers
from planrules.eval.snapshot_workbook import shown_number
from planrules.lang.periods import period_label
from tests.conftest import RULESETS

DATA = Path(__file__).parent / "data"
SHAPES = {"revenue": False, "spend": True, "orders": False}
VI = TextNumbers("vi", "VND")


def workbook(path: Path, *sheets: tuple[str, list[list[Any]]]) -> str:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return str(path)


def read(path: str, numbers: TextNumbers = VI, cadence: str | None = "monthly") -> dict[str, Any]:
    snapshots = read_snapshot_file(path, SHAPES, numbers=numbers, cadence=cadence)
    return {period_label(s.period): s.metrics for s in snapshots}


def error(path: str, numbers: TextNumbers = VI) -> str:
    with pytest.raises(SnapshotError) as caught:
        read(path, numbers)
    return str(caught.value)


# ---- the seed's budget table, saved by LibreOffice ---------------------------------------


@pytest.mark.parametrize("suffix", ["xlsx", "ods"])
def test_the_seed_budget_in_a_workbook_reports_as_the_same_figures_in_json(suffix: str) -> None:
    ruleset = planrules.load(RULESETS / "promotion_budget.plan")
    from_workbook = ruleset.evaluate(ruleset.read([str(DATA / f"seed_budget.{suffix}")], "vi"))
    spend = {
        "advertising": 340_000_000,
        "direct_marketing": 100_000_000,
        "personal_selling": 435_000_000,
        "sales_promotion": 324_000_000,
        "public_relations": 350_000_000,
    }
    leads = {
        "advertising": 1200,
        "direct_marketing": 400,
        "personal_selling": 2500,
        "sales_promotion": 1100,
        "public_relations": 1000,
    }
    data = {
        "period": "2026-12",
        "metrics": {
            "spend": spend,
            "leads": leads,
            "revenue": 15_490_000_000,
            "awareness": Decimal("0.2195"),
        },
    }
    assert from_workbook.to_dict() == ruleset.evaluate(data).to_dict()


@pytest.mark.parametrize("suffix", ["xlsx", "ods"])
def test_an_error_cell_saved_by_a_spreadsheet_names_its_sheet_and_cell(suffix: str) -> None:
    path = str(DATA / f"div_zero.{suffix}")
    assert error(path) == f"{path}:div_zero!C2: holds the error #DIV/0!"


@pytest.mark.parametrize("suffix", ["xlsx", "ods"])
def test_a_table_below_and_right_of_the_sheet_corner_names_its_cells_exactly(suffix: str) -> None:
    # Saved by LibreOffice: a title at C5, the header at C8, 2026-08 at row 11, E11 `=1/0`.
    path = str(DATA / f"offset.{suffix}")
    assert error(path) == f"{path}:Data!E11: holds the error #DIV/0!"


def offset_sheet(path: Path, cells: dict[str, Any]) -> str:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "S"
    for ref, value in cells.items():
        sheet[ref] = value
    book.save(path)
    return str(path)


def test_a_table_starting_at_b3_names_its_cells(tmp_path: Path) -> None:
    header = {"B3": "period", "C3": "orders", "B4": "2026-07", "C4": 5}
    path = offset_sheet(tmp_path / "o.xlsx", header | {"B5": "2026-08", "C5": "abc"})
    assert error(path).startswith(f"{path}:S!C5: `abc` is text where a number is expected")
    path = offset_sheet(tmp_path / "f.xlsx", header | {"B5": "2026-08", "C5": "=C4*2"})
    assert error(path).startswith(f"{path}:S!C5: holds a formula whose value was never saved")
    path = offset_sheet(tmp_path / "d.xlsx", header | {"B5": "2026-07", "C5": 6})
    assert error(path) == f"{path}:S!B5: 2026-07 is given twice (rows 4 and 5)"
    path = offset_sheet(tmp_path / "ok.xlsx", header | {"B6": "2026-08", "C6": 6})
    assert read(path) == {"2026-07": {"orders": 5}, "2026-08": {"orders": 6}}


def test_a_title_far_above_the_header_is_looked_past_within_ten_rows(tmp_path: Path) -> None:
    cells = {"B20": "T", "B29": "period", "C29": "orders", "B30": "2026-07", "C30": 1}
    path = offset_sheet(tmp_path / "t.xlsx", cells)
    assert read(path) == {"2026-07": {"orders": 1}}
    path = offset_sheet(tmp_path / "n.xlsx", {"B20": "Title", "B30": "period", "C31": 1})
    assert error(path).startswith(f"{path}:S!B20: no row in the first 10 has a `period` cell")


# ---- layouts -----------------------------------------------------------------------------


def test_the_long_layout(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "long.xlsx",
        (
            "Data",
            [
                ["period", "metric", "key", "value"],
                ["2026-07", "revenue", None, 0.1],
                ["2026-07", "spend", "quảng cáo", "1.549.000 ₫"],
                ["2026-07", "spend", "web", 7],
                ["2026-08", "revenue", "", "3,7 tỷ"],
                ["2026-08", "other", "", 1],
            ],
        ),
    )
    assert read(path) == {
        "2026-07": {"revenue": Decimal("0.1"), "spend": {"quảng cáo": 1549000, "web": 7}},
        "2026-08": {"revenue": 3_700_000_000},
    }
    undeclared = read_snapshot_file(path, SHAPES, numbers=VI, cadence="monthly")[1].undeclared
    assert undeclared == ("other",)


def test_the_wide_layout_over_two_sheets_with_a_title_above_the_header(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "wide.xlsx",
        ("Revenue", [["Báo cáo doanh thu"], [], ["period", "revenue"], ["2026-07", 5]]),
        ("Spend", [["period", "key", "spend"], ["2026-07", "web", 2], ["2026-07", "tv", 3]]),
        ("Notes", []),
    )
    assert read(path) == {"2026-07": {"revenue": 5, "spend": {"web": 2, "tv": 3}}}


def test_the_wide_layout_with_metric_dot_key_columns_as_in_csv(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "wide.xlsx",
        (
            "S",
            [["period", "revenue", "spend.web"], ["2026-07", 5, "1.000.000"], ["2026-08", 6, None]],
        ),
    )
    assert read(path) == {
        "2026-07": {"revenue": 5, "spend": {"web": 1_000_000}},
        "2026-08": {"revenue": 6},
    }


def test_dates_in_the_period_column_are_periods_of_the_cadence(tmp_path: Path) -> None:
    rows = [
        ["period", "orders"],
        [datetime.date(2026, 7, 1), 1],
        [datetime.datetime(2026, 8, 15), 2],
    ]
    path = workbook(tmp_path / "dates.xlsx", ("S", rows))
    assert read(path) == {"2026-07": {"orders": 1}, "2026-08": {"orders": 2}}


def test_a_period_given_twice_in_a_wide_sheet_names_both_rows(tmp_path: Path) -> None:
    rows = [["period", "orders"], [datetime.date(2026, 7, 1), 1], [datetime.date(2026, 7, 20), 2]]
    path = workbook(tmp_path / "twice.xlsx", ("S", rows))
    assert error(path) == (
        f"{path}:S!A3: 2026-07 is given twice (rows 2 and 3); its dates are read as periods "
        "of the ruleset's cadence (monthly): to sum days into them, roll them up with "
        "`--roll-up` or the header `roll up`"
    )


# ---- numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "read_as"),
    [
        (0.1, Decimal("0.1")),
        (0.1 + 0.2, Decimal("0.3")),
        (0.2195, Decimal("0.2195")),
        (1549000000.0, 1549000000),
        (2.0**53, 2**53),
        (1.549e18, 1549 * 10**15),
        (-2.5, Decimal("-2.5")),
    ],
)
def test_number_cells_read_as_the_spreadsheet_shows_them(value: float, read_as: object) -> None:
    assert shown_number(value) == read_as


def test_a_whole_number_past_what_a_spreadsheet_keeps_is_an_error(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "big.xlsx", ("S", [["period", "orders"], ["2026-07", 12345678901234567890]])
    )
    assert "B2: 12345678901234570000 has more digits than a spreadsheet keeps" in error(path)


def test_a_percent_formatted_cell_holds_its_fraction(tmp_path: Path) -> None:
    path = tmp_path / "percent.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["period", "orders"])
    sheet.append(["2026-07", 0.2195])
    sheet["B2"].number_format = "0.00%"
    book.save(path)
    assert read(str(path)) == {"2026-07": {"orders": Decimal("0.2195")}}


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("1.549", "`1.549` reads two ways, as 1549 or as 1.549"),
        ("abc", "`abc` is text where a number is expected"),
        (True, "TRUE is not a number"),
        (datetime.date(2026, 7, 1), "the date or time 2026-07-01 is not a number"),
        ("150万元", "`150万元` is in CNY, but the plan's currency is VND"),
    ],
)
def test_a_bad_value_names_file_sheet_and_cell(tmp_path: Path, cell: object, problem: str) -> None:
    path = workbook(
        tmp_path / "bad.xlsx", ("Sheet1", [["period", "orders"], ["2026-07", 1], ["2026-08", cell]])
    )
    assert error(path).startswith(f"{path}:Sheet1!B3: {problem}")


# ---- bad workbooks -----------------------------------------------------------------------


def test_a_formula_without_a_saved_value_is_an_error(tmp_path: Path) -> None:
    path = workbook(tmp_path / "f.xlsx", ("S", [["period", "orders"], ["2026-07", "=1+1"]]))
    assert error(path).startswith(f"{path}:S!B2: holds a formula whose value was never saved")


def rewritten(path: str, member: str, change: Any) -> str:
    """The workbook at `path` with one member's bytes changed, as a corrupt file has them."""
    with zipfile.ZipFile(path) as source:
        members = {name: source.read(name) for name in source.namelist()}
    members[member] = change(members[member])
    with zipfile.ZipFile(path, "w") as target:
        for name, content in members.items():
            target.writestr(name, content)
    return path


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda xml: xml[: len(xml) // 2], "the sheet cannot be read"),  # XML cut off
        (lambda xml: xml.replace(b'r="B2"', b'r="B"'), "the sheet cannot be read"),
        (lambda xml: xml.replace(b"<v>5</v>", b"<v>five</v>"), "the sheet cannot be read"),
    ],
)
def test_a_corrupt_sheet_in_a_sound_workbook_names_the_file_and_sheet(
    tmp_path: Path, change: Any, problem: str
) -> None:
    path = workbook(
        tmp_path / "c.xlsx", ("Good", [["period"]]), ("S", [["period", "orders"], ["2026-07", 5]])
    )
    rewritten(path, "xl/worksheets/sheet2.xml", change)
    assert error(path).startswith(f"{path}:S: {problem} (")


def test_merged_cells_are_an_error_naming_the_range(tmp_path: Path) -> None:
    path = tmp_path / "merged.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "S"
    for row in (
        ["period", "metric", "key", "value"],
        ["2026-07", "spend", "a", 1],
        [None, "spend", "b", 2],
    ):
        sheet.append(row)
    sheet.merge_cells("A2:A3")
    book.save(path)
    assert (
        error(str(path))
        == f"{path}:S!A2:A3: merged cells: unmerge them and give every cell its own value"
    )


def test_a_sheet_reaching_the_last_row_may_have_been_cut_off(tmp_path: Path) -> None:
    path = tmp_path / "full.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "S"
    sheet.append(["period", "orders"])
    sheet.cell(row=1_048_576, column=1, value="2026-07")
    book.save(path)
    assert "S!A1048576: the sheet reaches its last row (1,048,576)" in error(str(path))


def test_two_sheets_giving_one_metric_for_one_period(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "two.xlsx",
        ("A", [["period", "orders"], ["2026-07", 1]]),
        ("B", [["period", "metric", "value"], ["2026-07", "orders", 2]]),
    )
    assert error(path) == f"{path}:B!C2: `orders` for 2026-07 is given in two sheets (also at A!B2)"


def test_a_date_serial_in_the_period_column_says_which_date_it_would_be(tmp_path: Path) -> None:
    path = workbook(tmp_path / "serial.xlsx", ("S", [["period", "orders"], [46204, 1]]))
    assert error(path) == (
        f"{path}:S!A2: the period is the number 46204, where text such as 2026-07 is expected; "
        "if it is the date serial of 2026-07-01, format the column as dates or write the period "
        "as text"
    )


def test_a_sheet_without_a_period_header(tmp_path: Path) -> None:
    path = workbook(tmp_path / "none.xlsx", ("S", [["month", "orders"], ["2026-07", 1]]))
    assert error(path).startswith(f"{path}:S!A1: no row in the first 10 has a `period` cell")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),
            "is encrypted (it needs a password to open)",
        ),
        (b"PK\x03\x04 not really a zip", "cannot be read as a workbook"),
        (b"hello", "cannot be read as a workbook"),
    ],
)
def test_encrypted_and_corrupt_workbooks(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    assert error(str(path)).startswith(f"{path}: {problem}")


def test_a_workbook_of_empty_sheets_holds_no_snapshots(tmp_path: Path) -> None:
    path = workbook(tmp_path / "empty.xlsx", ("S", []))
    assert read(path) == {}


# ---- through the command line -------------------------------------------------------------


PLAN = """ruleset "Shop"
currency VND
period 2026-07-01 to 2026-09-30 monthly
metric orders: count
threshold "Orders": orders
    fail below 10
"""


def test_eval_reads_a_workbook_with_the_locale_given(tmp_path: Path) -> None:
    (tmp_path / "shop.plan").write_text(PLAN, encoding="utf-8")
    path = workbook(tmp_path / "s.xlsx", ("S", [["period", "orders"], ["2026-07", "1.500.000"]]))
    runner = CliRunner()
    result = runner.invoke(
        main, ["eval", str(tmp_path / "shop.plan"), path, "--locale", "vi", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["results"][0]["value"] == 1500000
    wrong = runner.invoke(main, ["eval", str(tmp_path / "shop.plan"), path, "--locale", "en"])
    assert wrong.exit_code == 2
    assert f"{path}:S!B2: `1.500.000` is text where a number is expected" in wrong.stderr


def test_replay_and_explain_take_the_locale(tmp_path: Path) -> None:
    (tmp_path / "shop.plan").write_text(PLAN, encoding="utf-8")
    path = workbook(tmp_path / "s.xlsx", ("S", [["period", "orders"], ["2026-07", "12,5"]]))
    runner = CliRunner()
    plan = str(tmp_path / "shop.plan")
    assert runner.invoke(main, ["replay", plan, path, "--locale", "vi"]).exit_code == 0
    explained = runner.invoke(main, ["explain", plan, path, "--rule", "Orders", "--locale", "vi"])
    assert explained.exit_code == 0, explained.output


def test_a_test_file_reads_snapshots_from_a_workbook(tmp_path: Path) -> None:
    (tmp_path / "shop.plan").write_text(PLAN, encoding="utf-8")
    workbook(tmp_path / "s.xlsx", ("S", [["period", "orders"], ["2026-07", "12,5"]]))
    (tmp_path / "shop_test.plan").write_text(
        'use "shop.plan"\n\ntest "from a workbook" {\n    snapshots "s.xlsx"\n'
        '    expect "Orders" pass\n}\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["test", str(tmp_path), "--locale", "vi"])
    assert result.exit_code == 0, result.output
    assert "1 passed, 0 failed" in result.output


# ---- header names, as in CSV files ----------------------------------------------------------


def test_the_fixed_header_words_are_read_in_any_case(tmp_path: Path) -> None:
    long = [["PERIOD", "Metric", "Key", "Value"], ["2026-07", "orders", None, 5]]
    wide = [["Period", "orders"], ["2026-08", 6]]
    path = workbook(tmp_path / "h.xlsx", ("L", long), ("W", wide))
    assert read(path) == {"2026-07": {"orders": 5}, "2026-08": {"orders": 6}}
    csv = tmp_path / "h.csv"
    csv.write_text("Period,orders\n2026-07,5\n", encoding="utf-8")
    assert read(str(csv)) == {"2026-07": {"orders": 5}}


def test_a_misspelt_period_header_is_named_with_what_it_looks_like(tmp_path: Path) -> None:
    path = workbook(tmp_path / "p.xlsx", ("S", [["Title"], ["perod", "orders"], ["2026-07", 1]]))
    assert error(path) == (
        f"{path}:S!A2: `perod` looks like `period`, the header of the period column: "
        "is it misspelt?"
    )
    csv = tmp_path / "p.csv"
    csv.write_text("perod,orders\n2026-07,5\n", encoding="utf-8")
    assert error(str(csv)) == (
        f"{csv}: line 1: the header has no `period` column (`perod` looks like it: is it misspelt?)"
    )


DIA = """ruleset "Dia"
currency VND
period 2026-07-01 to 2026-09-30 monthly
metric lượt_xem: count by kênh
metric doanh_thu: money
threshold "Views" per kênh: lượt_xem warn below 10
threshold "Rev": doanh_thu warn below 10
"""


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_column_that_looks_like_a_keyed_metric_given_at_other_keys_is_warned_of(
    tmp_path: Path, suffix: str
) -> None:
    header = ["period", "lượt_xem.Đại lý", "doanh_thu", "luot_xem.B"]
    path = tmp_path / f"d.{suffix}"
    if suffix == "xlsx":
        workbook(path, ("S", [header, ["2026-07", 7, 5, 3]]))
    else:
        path.write_text(",".join(header) + "\n2026-07,7,5,3\n", encoding="utf-8")
    ruleset = planrules.loads(DIA, filename="dia.plan")
    report = ruleset.evaluate(ruleset.read([str(path)]))
    found = {(w.code, w.metric, w.suggestion) for w in report.warnings}
    assert found == {("unknown-metric", "luot_xem.B", "lượt_xem.B")}


# ---- sheets that are not tables -------------------------------------------------------------


def test_a_sheet_of_notes_without_numbers_is_skipped(tmp_path: Path) -> None:
    notes = ("Ghi chú", [["Số liệu do phòng kế toán cung cấp"], ["xem thêm: báo cáo quý"]])
    path = workbook(tmp_path / "n.xlsx", ("Data", [["period", "orders"], ["2026-07", 5]]), notes)
    assert read(path) == {"2026-07": {"orders": 5}}


def test_a_hidden_sheet_is_read_as_any_other(tmp_path: Path) -> None:
    path = workbook(tmp_path / "h.xlsx", ("A", [["period", "orders"], ["2026-07", 5]]))
    book = openpyxl.load_workbook(path)
    book.create_sheet("Old").append(["period", "revenue"])
    book["Old"].append(["2026-08", 6])
    book["Old"].sheet_state = "hidden"
    book.save(path)
    assert read(path) == {"2026-07": {"orders": 5}, "2026-08": {"revenue": 6}}


def test_merged_cells_of_an_ods_file_saved_by_libreoffice_are_an_error() -> None:
    # calamine gives no merged ranges for .ods: the cells under a merged one are found in the
    # document's XML, as error cells are. B3:B4 merged, so B4 is covered.
    path = str(DATA / "merged_table.ods")
    assert error(path) == (
        f"{path}:Data!B4: is part of merged cells: unmerge them and give every cell its own value"
    )


def test_a_title_merged_above_the_header_is_harmless(tmp_path: Path) -> None:
    path = workbook(tmp_path / "m.xlsx", ("S", [["Title"], ["period", "orders"], ["2026-07", 5]]))
    book = openpyxl.load_workbook(path)
    book["S"].merge_cells("A1:B1")
    book.save(path)
    assert read(path) == {"2026-07": {"orders": 5}}


def test_an_old_excel_file_is_told_to_be_saved_as_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    assert error(str(path)) == (
        f"{path}: is an Excel 97-2003 workbook (.xls), which is not read: save it as an Excel "
        "workbook (.xlsx) and give that file"
    )
