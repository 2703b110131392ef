"""Text numbers as a locale writes them, in CSV cells and workbook text cells."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planrules.eval.history import read_snapshot_file
from planrules.eval.snapshot import SnapshotError
from planrules.eval.snapshot_locale import TextNumbers
from planrules.eval.snapshot_numbers import ValueProblem

VI = TextNumbers("vi", "VND")
EN = TextNumbers("en", "VND")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.549.000.000", 1_549_000_000),
        ("3,7", Decimal("3.7")),
        ("21,95%", Decimal("0.2195")),
        ("1.549.000.000 ₫", 1_549_000_000),
        ("3,7 tỷ", 3_700_000_000),
        ("1549 triệu", 1_549_000_000),
        ("-2,5", Decimal("-2.5")),
        ("\u22122,5", Decimal("-2.5")),
        ("\u00a01\u00a0549\u00a0000 ", 1_549_000),
        ("1.549.000,25 VND", Decimal("1549000.25")),
    ],
)
def test_vi_reads(text: str, value: object) -> None:
    assert VI.read(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,549,000,000", 1_549_000_000),
        ("3.7", Decimal("3.7")),
        ("21.95%", Decimal("0.2195")),
        ("150万", 1_500_000),
        ("2 B", 2_000_000_000),
    ],
)
def test_en_and_zh_read(text: str, value: object) -> None:
    assert EN.read(text) == value
    assert TextNumbers("zh", "VND").read(text) == value


@pytest.mark.parametrize("locale", ["vi", "en", "zh"])
@pytest.mark.parametrize("text", ["1,549", "1.549", "-1.549", "1,549 triệu"])
def test_a_number_that_reads_two_ways_is_an_error_under_any_locale(locale: str, text: str) -> None:
    with pytest.raises(ValueProblem, match="reads two ways, as 1549"):
        TextNumbers(locale).read(text)


@pytest.mark.parametrize(
    ("numbers", "text", "problem"),
    [
        (EN, "3,7", "with locale vi it would be read as a number"),
        (VI, "2.5", "with locale en it would be read as a number"),
        (VI, "1.54.000", "is text where a number is expected"),
        (VI, "05", "is text where a number is expected"),
        (VI, "20万元", "is in CNY, but the plan's currency is VND"),
        (VI, "1e400", "is text where a number is expected"),
    ],
)
def test_what_is_not_a_number_in_a_locale(numbers: TextNumbers, text: str, problem: str) -> None:
    with pytest.raises(ValueProblem, match=problem):
        numbers.read(text)


def test_an_unknown_locale_is_refused() -> None:
    with pytest.raises(ValueError, match="is not a locale"):
        TextNumbers("fr")


def vi_format(value: Decimal) -> str:
    """A number as Vietnamese writes it: `.` between groups of thousands, `,` before decimals."""
    sign = "-" if value < 0 else ""
    whole, _, fraction = f"{abs(value):f}".partition(".")
    groups = f"{int(whole):,}".replace(",", ".")
    return f"{sign}{groups},{fraction}" if fraction else f"{sign}{groups}"


@given(
    st.decimals(
        min_value=Decimal(-(10**15)),
        max_value=Decimal(10**15),
        places=4,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_a_number_written_the_vi_way_reads_back_exactly(value: Decimal) -> None:
    text = vi_format(value)
    try:
        read = VI.read(text)
    except ValueProblem as problem:
        assert "reads two ways" in str(problem)  # 1.549: thousands, or a fraction
        return
    assert read == value


# ---- CSV files ----------------------------------------------------------------------------

SHAPES = {"revenue": False, "spend": True}


@pytest.mark.parametrize("separator", [";", "\t"])
def test_csv_separated_by_semicolons_or_tabs_reads_in_vi(tmp_path: Path, separator: str) -> None:
    path = tmp_path / "vi.csv"
    rows = [["period", "revenue", "spend.quảng cáo"], ["2026-07", "3,7 tỷ", "21,5"]]
    path.write_text("\n".join(separator.join(row) for row in rows) + "\n", encoding="utf-8")
    (snapshot,) = read_snapshot_file(str(path), SHAPES, numbers=VI)
    assert snapshot.metrics == {"revenue": 3_700_000_000, "spend": {"quảng cáo": Decimal("21.5")}}


def test_csv_in_en_still_reads_json_numbers(tmp_path: Path) -> None:
    path = tmp_path / "en.csv"
    path.write_text('period,revenue\n2026-07,1.5e6\n2026-08,"1,549,000"\n', encoding="utf-8")
    snapshots = read_snapshot_file(str(path), SHAPES)
    assert [s.metrics["revenue"] for s in snapshots] == [1_500_000, 1_549_000]


def test_a_csv_cell_that_reads_two_ways_names_its_place(tmp_path: Path) -> None:
    path = tmp_path / "two.csv"
    path.write_text("period,revenue\n2026-07,1.549\n", encoding="utf-8")
    with pytest.raises(SnapshotError) as caught:
        read_snapshot_file(str(path), SHAPES)
    assert str(caught.value).startswith(
        f"{path}: line 2, period 2026-07, column `revenue`: `1.549` reads two ways, "
        "as 1549 or as 1.549"
    )
