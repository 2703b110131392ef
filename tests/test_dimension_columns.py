"""Long tables with a column per dimension (`period, metric, cua_hang, kenh, value`), in CSV
files and workbooks: keys combine as the nested JSON form gives them, one-dimension and
unkeyed metrics share the table, and every bad row is named by its line or cell."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import planrules
from planrules.eval.evaluate import Ruleset
from planrules.eval.history import read_snapshot_file, snapshots_from_data
from planrules.eval.snapshot import Place, Snapshot, SnapshotError
from planrules.eval.snapshot_csv import snapshots_from_csv
from planrules.eval.snapshot_locale import TextNumbers

RULESET = """\
ruleset "Cửa hàng và kênh"
currency VND
locale vi
period 2026-07-01 to 2026-08-31 monthly
metric doanh_so: money by cua_hang, kenh
metric chi_phi: money by kenh
metric don: count
threshold "Cửa hàng" per cua_hang: sum(doanh_so, kenh) warn below 150 triệu
threshold "Kênh" per kenh: sum(doanh_so, cua_hang) warn below 100 triệu
threshold "Cặp" per cua_hang, kenh: doanh_so warn below 20 triệu
goal "Tổng": sum(sum(doanh_so, kenh)) >= 200 triệu
threshold "Chi phí" per kenh: chi_phi warn above 50 triệu
goal "Đơn": don >= 10
"""

HEADER = ["period", "metric", "key", "cua_hang", "kenh", "value"]
# July: HCM1 120 + 30 on facebook and zalo, HN1 9 on facebook; August: HCM1 facebook 140.
ROWS = [
    ["2026-07", "doanh_so", "", "HCM1", "facebook", "120 triệu"],
    ["2026-07", "doanh_so", "", "HCM1", "zalo", "30 triệu"],
    ["2026-07", "doanh_so", "", "HN1", "facebook", "9 triệu"],
    ["2026-07", "chi_phi", "", "", "facebook", "40 triệu"],
    ["2026-07", "chi_phi", "zalo", "", "", "12 triệu"],
    ["2026-07", "don", "", "", "", "14"],
    ["2026-08", "doanh_so", "", "HCM1", "facebook", "140 triệu"],
    ["2026-08", "don", "", "", "", "9"],
]
NESTED = [
    {
        "period": "2026-07",
        "metrics": {
            "doanh_so": {
                "HCM1": {"facebook": 120_000_000, "zalo": 30_000_000},
                "HN1": {"facebook": 9_000_000},
            },
            "chi_phi": {"facebook": 40_000_000, "zalo": 12_000_000},
            "don": 14,
        },
    },
    {
        "period": "2026-08",
        "metrics": {"doanh_so": {"HCM1": {"facebook": 140_000_000}}, "don": 9},
    },
]


@pytest.fixture(scope="module")
def ruleset() -> Ruleset:
    return planrules.loads(RULESET, "stores.plan")


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> str:
    path.write_text("\n".join(",".join(row) for row in [header, *rows]) + "\n", "utf-8")
    return str(path)


def write_xlsx(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> str:
    return xlsx_book(path, [("Data", [header, *rows])])


def write_ods(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> str:
    return ods_book(path, [("Data", [header, *rows])])


Sheets = list[tuple[str, list[list[str]]]]


def xlsx_book(path: Path, sheets: Sheets) -> str:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append([cell or None for cell in row])
    book.save(path)
    return str(path)


def ods_book(path: Path, sheets: Sheets) -> str:
    """A minimal OpenDocument spreadsheet of text cells, as the `.ods` reader reads it."""

    def cell(text: str) -> str:
        if not text:
            return "<table:table-cell/>"
        return (
            '<table:table-cell office:value-type="string">'
            f"<text:p>{escape(text)}</text:p></table:table-cell>"
        )

    tables = "".join(
        f'<table:table table:name="{escape(title)}">'
        + "".join(
            "<table:table-row>" + "".join(cell(text) for text in row) + "</table:table-row>"
            for row in rows
        )
        + "</table:table>"
        for title, rows in sheets
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{tables}"
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        ' manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/"'
        ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED
        )
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return str(path)


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "ods": write_ods}
BOOKS = {"xlsx": xlsx_book, "ods": ods_book}


def report_json(ruleset: Ruleset, path: str) -> Any:
    return json.loads(ruleset.evaluate(ruleset.read([path], "vi")).to_json())


def snapshots(ruleset: Ruleset, path: str) -> list[Snapshot]:
    return read_snapshot_file(path, ruleset.shapes, numbers=TextNumbers("vi", "VND"))


def read_error(ruleset: Ruleset, path: str) -> str:
    with pytest.raises(SnapshotError) as caught:
        ruleset.read([path], "vi")
    return str(caught.value)


# ---- worked case ---------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", sorted(WRITERS))
def test_a_long_table_reports_as_the_same_data_in_nested_json(
    ruleset: Ruleset, tmp_path: Path, suffix: str
) -> None:
    nested = tmp_path / "snapshots.json"
    nested.write_text(json.dumps(NESTED), "utf-8")
    long = WRITERS[suffix](tmp_path / f"snapshots.{suffix}", ROWS)
    assert report_json(ruleset, long) == report_json(ruleset, str(nested))


def test_the_worked_case_sums_one_dimension_away_and_judges_each_pair(
    ruleset: Ruleset, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "s.csv", ROWS)
    report = ruleset.evaluate(ruleset.read([path], "vi"), at="2026-07")

    def by_key(rule: str) -> dict[str | None, tuple[Any, str]]:
        return {r.key: (r.value, r.status) for r in report.results if r.rule == rule}

    # sum(doanh_so, kenh): HCM1 120 + 30 = 150 triệu (pass), HN1 9 triệu (warn).
    assert by_key("Cửa hàng") == {"HCM1": (150_000_000, "pass"), "HN1": (9_000_000, "warn")}
    # sum(doanh_so, cua_hang): facebook 120 + 9 = 129 triệu, zalo 30 triệu.
    assert by_key("Kênh") == {"facebook": (129_000_000, "pass"), "zalo": (30_000_000, "warn")}
    assert by_key("Cặp") == {
        "HCM1 / facebook": (120_000_000, "pass"),
        "HCM1 / zalo": (30_000_000, "pass"),
        "HN1 / facebook": (9_000_000, "warn"),
    }
    # Every pair: 120 + 30 + 9 = 159 triệu, short of 200.
    assert by_key("Tổng") == {None: (159_000_000, "fail")}
    # chi_phi by kenh, one in the `kenh` column, one in `key`.
    assert by_key("Chi phí") == {"facebook": (40_000_000, "pass"), "zalo": (12_000_000, "pass")}
    assert by_key("Đơn") == {None: (14, "pass")}


def test_the_key_column_may_be_left_out(ruleset: Ruleset, tmp_path: Path) -> None:
    header = ["period", "metric", "cua_hang", "kenh", "value"]
    rows = [["2026-07", "doanh_so", "HCM1", "zalo", "30 triệu"], ["2026-07", "don", "", "", "3"]]
    path = write_csv(tmp_path / "s.csv", rows, header)
    (snapshot,) = snapshots(ruleset, path)
    assert snapshot.metrics == {"doanh_so": {"HCM1 / zalo": 30_000_000}, "don": 3}


def test_columns_in_any_order_and_case_with_semicolons(ruleset: Ruleset, tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("kenh;Value;cua_hang;METRIC;Period\nzalo;1,5 triệu;HCM1;doanh_so;2026-07\n")
    (snapshot,) = snapshots(ruleset, str(path))
    assert snapshot.metrics == {"doanh_so": {"HCM1 / zalo": 1_500_000}}


def test_an_undeclared_metric_is_left_out_and_warned_of(ruleset: Ruleset, tmp_path: Path) -> None:
    rows = [["2026-07", "doanh_thu", "", "HCM1", "zalo", "1"], ["2026-07", "don", "", "", "", "2"]]
    (snapshot,) = snapshots(ruleset, write_csv(tmp_path / "s.csv", rows))
    assert snapshot.metrics == {"don": 2}
    assert snapshot.undeclared == ("doanh_thu",)


# ---- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "place", "problem"),
    [
        (
            ["period", "metric", "Cửa hàng", "kenh", "value"],
            "line 1, column `Cửa hàng`",
            "`Cửa hàng` is not a dimension of the metrics: is it `cua_hang` misspelt?",
        ),
        (
            ["period", "metric", "cua_hang", "ghi_chu", "value"],
            "line 1, column `ghi_chu`",
            "`ghi_chu` is no column of a long table, whose columns are `period`, `metric`, "
            "`key`, a column per dimension (`cua_hang`, `kenh`) and `value`",
        ),
        (
            ["period", "metric", "kenh", "kenh", "value"],
            "line 1, column `kenh`",
            "column `kenh` is given twice",
        ),
    ],
)
def test_a_bad_header_is_named_in_csv(
    ruleset: Ruleset, tmp_path: Path, header: list[str], place: str, problem: str
) -> None:
    path = write_csv(tmp_path / "s.csv", [["2026-07", "don", "", "", "1"]], header)
    assert read_error(ruleset, path) == f"{path}: {place}: {problem}"


def test_a_misspelt_dimension_column_is_named_by_its_cell(ruleset: Ruleset, tmp_path: Path) -> None:
    header = ["period", "metric", "kenh", "cua_hangg", "value"]
    path = write_xlsx(tmp_path / "s.xlsx", [["2026-07", "don", "", "", "1"]], header)
    assert read_error(ruleset, path) == (
        f"{path}:Data!D1: `cua_hangg` is not a dimension of the metrics: is it `cua_hang` misspelt?"
    )


BAD_ROWS = [
    pytest.param(
        ["2026-07", "doanh_so", "", "HCM1", "", "1"],
        "E",
        "`doanh_so` is keyed by `cua_hang, kenh`: the row gives no `kenh`",
        id="a-dimension-missing",
    ),
    pytest.param(
        ["2026-07", "doanh_so", "HCM1 / zalo", "", "", "1"],
        "C",
        "`doanh_so` is keyed by `cua_hang, kenh`: give its keys in a column per dimension "
        "and leave its `key` empty",
        id="a-pair-in-key",
    ),
    pytest.param(
        ["2026-07", "chi_phi", "", "HCM1", "zalo", "1"],
        "D",
        "`chi_phi` is keyed by `kenh`, not by `cua_hang`: leave its `cua_hang` empty",
        id="a-dimension-the-metric-lacks",
    ),
    pytest.param(
        ["2026-07", "don", "", "", "zalo", "1"],
        "E",
        "`don` is not keyed: leave its `kenh` empty",
        id="a-key-of-an-unkeyed-metric",
    ),
    pytest.param(
        ["2026-07", "chi_phi", "zalo", "", "zalo", "1"],
        "E",
        "`chi_phi`'s key is given twice, in `key` and in `kenh`: give it once",
        id="a-key-given-twice",
    ),
    pytest.param(
        ["2026-07", "chi_phi", "", "", "", "1"],
        "F",
        "`chi_phi` is keyed: give the key in the `kenh` column",
        id="no-key",
    ),
    pytest.param(
        ["2026-07", "doanh_so", "", "HCM1 / x", "zalo", "1"],
        "D",
        "the key `HCM1 / x` holds `/` between spaces, which joins the keys of two dimensions",
        id="a-separator-in-a-key",
    ),
    pytest.param(
        ["2026-07", "doanh_so", "", "HCM1", "zalo", "nhiều"],
        "F",
        None,
        id="not-a-number",
    ),
]


@pytest.mark.parametrize(("row", "column", "problem"), BAD_ROWS)
@pytest.mark.parametrize("suffix", sorted(WRITERS))
def test_a_bad_row_is_named_by_its_line_or_cell(
    ruleset: Ruleset,
    tmp_path: Path,
    suffix: str,
    row: list[str],
    column: str,
    problem: str | None,
) -> None:
    good = ["2026-07", "don", "", "", "", "1"]
    path = WRITERS[suffix](tmp_path / f"s.{suffix}", [good, row])
    message = read_error(ruleset, path)
    if suffix == "csv":
        name = HEADER["ABCDEF".index(column)]
        assert message.startswith(f"{path}: line 3, column `{name}`: ")
    else:
        assert message.startswith(f"{path}:Data!{column}3: ")
    if problem is not None:
        assert message.endswith(f": {problem}")


def test_the_header_lacking_a_dimension_is_named_at_the_value(
    ruleset: Ruleset, tmp_path: Path
) -> None:
    header = ["period", "metric", "cua_hang", "value"]
    path = write_xlsx(tmp_path / "s.xlsx", [["2026-07", "doanh_so", "HCM1", "1"]], header)
    assert read_error(ruleset, path) == (
        f"{path}:Data!D2: `doanh_so` is keyed by `cua_hang, kenh`: the row gives no `kenh` "
        "(the header has no `kenh` column)"
    )


@pytest.mark.parametrize("suffix", sorted(WRITERS))
def test_a_pair_given_twice_names_both_places(
    ruleset: Ruleset, tmp_path: Path, suffix: str
) -> None:
    rows = [
        ["2026-07", "doanh_so", "", "HCM1", "zalo", "1"],
        ["2026-07", "doanh_so", "", "HCM1", "facebook", "2"],
        ["2026-07", "doanh_so", "", "HCM1", "zalo", "3"],
    ]
    path = WRITERS[suffix](tmp_path / f"s.{suffix}", rows)
    twice = "`doanh_so` at key `HCM1 / zalo` for 2026-07 is given twice"
    expected = {
        "csv": f"{path}: line 4: {twice} (also at line 2)",
        "xlsx": f"{path}:Data!F4: {twice} (also at F2)",
        "ods": f"{path}:Data!F4: {twice} (also at F2)",
    }
    assert read_error(ruleset, path) == expected[suffix]


def test_a_one_dimension_key_given_in_key_and_in_its_column_on_two_rows_is_twice(
    ruleset: Ruleset, tmp_path: Path
) -> None:
    rows = [
        ["2026-07", "chi_phi", "zalo", "", "", "1"],
        ["2026-07", "chi_phi", "", "", "zalo", "2"],
    ]
    path = write_csv(tmp_path / "s.csv", rows)
    assert read_error(ruleset, path) == (
        f"{path}: line 3: `chi_phi` at key `zalo` for 2026-07 is given twice (also at line 2)"
    )


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (["", "don", "", "", "", "1"], "line 2: the period is empty"),
        (["2026-07", "", "", "", "", "1"], "line 2, column `metric`: the metric is empty"),
        (["2026-07", "don", "", "", ""], "line 2 has 5 cells, where the header has 6"),
    ],
)
def test_an_incomplete_csv_row_is_named(
    ruleset: Ruleset, tmp_path: Path, row: list[str], problem: str
) -> None:
    path = write_csv(tmp_path / "s.csv", [row])
    assert read_error(ruleset, path) == f"{path}: {problem}"


# ---- workbooks: a sheet per metric, a column per dimension -------------------------------

SHEET_PER_METRIC: Sheets = [
    (
        "Doanh số",
        [
            ["period", "cua_hang", "kenh", "doanh_so"],
            ["2026-07", "HCM1", "facebook", "120 triệu"],
            ["2026-07", "HCM1", "zalo", "30 triệu"],
            ["2026-07", "HN1", "facebook", "9 triệu"],
            ["2026-08", "HCM1", "facebook", "140 triệu"],
        ],
    ),
    ("Chi phí", [["period", "kenh", "chi_phi"], ["2026-07", "facebook", "40 triệu"]]),
    ("Chi phí Zalo", [["period", "key", "chi_phi"], ["2026-08", "zalo", "12 triệu"]]),
    ("Đơn", [["period", "don"], ["2026-07", "14"], ["2026-08", "9"]]),
]


@pytest.mark.parametrize("suffix", sorted(BOOKS))
def test_a_sheet_per_metric_with_a_column_per_dimension_reads_as_nested_json(
    ruleset: Ruleset, tmp_path: Path, suffix: str
) -> None:
    nested = json.loads(json.dumps(NESTED))
    del nested[0]["metrics"]["chi_phi"]["zalo"]
    nested[1]["metrics"]["chi_phi"] = {"zalo": 12_000_000}
    path = tmp_path / "snapshots.json"
    path.write_text(json.dumps(nested), "utf-8")
    book = BOOKS[suffix](tmp_path / f"snapshots.{suffix}", SHEET_PER_METRIC)
    assert report_json(ruleset, book) == report_json(ruleset, str(path))


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        (
            [["2026-07", "HCM1", "", "1"]],
            "C2: `doanh_so` is keyed by `cua_hang, kenh`: the row gives no `kenh`",
        ),
        (
            [["2026-07", "HCM1", "zalo", "1"], ["2026-07", "HCM1", "zalo", "2"]],
            "A3: 2026-07 at key `HCM1 / zalo` is given twice (rows 2 and 3)",
        ),
    ],
)
@pytest.mark.parametrize("suffix", sorted(BOOKS))
def test_a_bad_row_of_a_sheet_per_metric_is_named_by_its_cell(
    ruleset: Ruleset, tmp_path: Path, suffix: str, rows: list[list[str]], problem: str
) -> None:
    header = ["period", "cua_hang", "kenh", "doanh_so"]
    path = BOOKS[suffix](tmp_path / f"s.{suffix}", [("S", [header, *rows])])
    assert read_error(ruleset, path) == f"{path}:S!{problem}"


def test_an_unkeyed_metric_on_a_row_with_keys_is_named(ruleset: Ruleset, tmp_path: Path) -> None:
    rows = [["period", "kenh", "don"], ["2026-07", "zalo", "1"]]
    path = xlsx_book(tmp_path / "s.xlsx", [("S", rows)])
    assert read_error(ruleset, path) == f"{path}:S!B2: `don` is not keyed: leave its `kenh` empty"


def test_a_pair_in_the_key_column_of_a_wide_sheet_is_named(
    ruleset: Ruleset, tmp_path: Path
) -> None:
    rows = [["period", "key", "doanh_so"], ["2026-07", "HCM1", "1"]]
    path = xlsx_book(tmp_path / "s.xlsx", [("S", rows)])
    assert read_error(ruleset, path) == (
        f"{path}:S!C2: `doanh_so` is keyed by two dimensions: give its keys in a column per "
        "dimension, not in `key`"
    )


@settings(max_examples=50, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.sampled_from(["HCM1", "HN1", "Đà Nẵng"]), st.sampled_from(["fb", "zalo"])),
        st.integers(-(10**12), 10**12),
        min_size=1,
    )
)
def test_any_pairs_in_a_long_csv_read_as_the_nested_json_form(
    pairs: dict[tuple[str, str], int],
) -> None:
    ruleset = planrules.loads(RULESET, "stores.plan")
    lines = ["period,metric,cua_hang,kenh,value"]
    lines += [
        f"2026-07,doanh_so,{store},{channel},{value}" for (store, channel), value in pairs.items()
    ]
    nested: dict[str, dict[str, int]] = {}
    for (store, channel), value in pairs.items():
        nested.setdefault(store, {})[channel] = value
    from_csv = snapshots_from_csv("\n".join(lines), Place("s.csv"), ruleset.shapes)
    data = {"period": "2026-07", "metrics": {"doanh_so": nested}}
    assert [s.metrics for s in from_csv] == [
        s.metrics for s in snapshots_from_data(data, "s.json", ruleset.shapes)
    ]
