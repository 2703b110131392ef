"""Metric snapshots: JSON, CSV and Python data read into an ordered, exact history."""

from __future__ import annotations

import json
import os
import unicodedata
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planrules.eval.history import (
    History,
    merge_snapshots,
    read_history,
    read_snapshot_file,
    snapshots_from_data,
)
from planrules.eval.snapshot import DATA_ORIGIN, MetricShapes, Scalar, Snapshot, SnapshotError
from planrules.lang.diagnostics import InputError
from planrules.lang.numbers import LARGEST
from planrules.lang.periods import CADENCES, parse_period, period_containing, period_label

SHAPES: MetricShapes = {"revenue": False, "orders": False, "spend": True, "chi_phí": True}
AUGUST = parse_period("2026-08")
SEPTEMBER = parse_period("2026-09")


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def snapshot(period: str, **metrics: object) -> dict[str, object]:
    return {"period": period, "metrics": metrics}


def from_data(data: object, shapes: MetricShapes = SHAPES) -> list[Snapshot]:
    return snapshots_from_data(data, DATA_ORIGIN, shapes)


def raises(call: Callable[[], object], *fragments: str) -> SnapshotError:
    """The SnapshotError `call` raises, after checking that its message holds every fragment."""
    with pytest.raises(SnapshotError) as caught:
        call()
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return caught.value


def data_error(data: object, *fragments: str) -> SnapshotError:
    error = raises(lambda: from_data(data), *fragments)
    assert error.path == DATA_ORIGIN
    assert str(error).startswith(f"{DATA_ORIGIN}: ")
    return error


def exactly(value: object, expected: Scalar) -> bool:
    """Equal, and of the same type: integral values must come back as int."""
    return type(value) is type(expected) and value == expected


# ---- JSON in its three shapes -----------------------------------------------------------

AUGUST_JSON = """{"period": "2026-08",
 "metrics": {"reach": 200000, "revenue": 610000000.50,
             "spend": {"advertising": 120000000, "sales_promotion": 60000000}}}"""


def test_reads_one_snapshot_object(tmp_path: Path) -> None:
    path = write(tmp_path, "august.json", AUGUST_JSON)
    [read] = read_snapshot_file(path, SHAPES)
    assert read.period == AUGUST
    assert read.origin == path
    # `reach` is not declared, so it is left out.
    assert read.metrics == {
        "revenue": Decimal("610000000.5"),
        "spend": {"advertising": 120000000, "sales_promotion": 60000000},
    }
    assert exactly(read.metrics["revenue"], Decimal("610000000.5"))


def test_reads_a_list_of_snapshots(tmp_path: Path) -> None:
    text = json.dumps([snapshot("2026-08", orders=16), snapshot("2026-09", orders=21)])
    read = read_snapshot_file(write(tmp_path, "list.json", text), SHAPES)
    assert [(s.period, s.metrics) for s in read] == [
        (AUGUST, {"orders": 16}),
        (SEPTEMBER, {"orders": 21}),
    ]


def test_reads_snapshots_wrapped_in_an_object(tmp_path: Path) -> None:
    text = json.dumps({"snapshots": [snapshot("2026-W33", orders=3)]})
    [read] = read_snapshot_file(write(tmp_path, "wrapped.json", text), SHAPES)
    assert read.period == parse_period("2026-W33")
    assert read.metrics == {"orders": 3}


@pytest.mark.parametrize("period", ["2026-07-15", "2026-W33", "2026-07", "2026-Q3"])
def test_every_period_form_reads(period: str) -> None:
    [read] = from_data(snapshot(period, orders=1))
    assert read.period == parse_period(period)


def test_empty_lists_hold_no_snapshots(tmp_path: Path) -> None:
    assert read_snapshot_file(write(tmp_path, "none.json", "[]"), SHAPES) == []
    assert from_data({"snapshots": []}) == []


def test_a_snapshot_without_declared_metrics_is_still_a_snapshot() -> None:
    [read] = from_data(snapshot("2026-08", reach=5))
    assert read.metrics == {}


def test_a_file_named_otherwise_is_read_as_json(tmp_path: Path) -> None:
    [read] = read_snapshot_file(write(tmp_path, "august.txt", AUGUST_JSON), SHAPES)
    assert read.period == AUGUST


def test_a_utf8_bom_is_allowed_in_json(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + AUGUST_JSON.encode())
    [read] = read_snapshot_file(str(path), SHAPES)
    assert read.period == AUGUST


# ---- numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1500", 1500),
        ("-42", -42),
        ("0", 0),
        ("-0", 0),
        ("-0.0", 0),
        ("1.0", 1),
        ("2E+3", 2000),
        ("2e3", 2000),
        ("1.50", Decimal("1.5")),
        ("0.1", Decimal("0.1")),
        ("-2.5", Decimal("-2.5")),
        ("1.5e-3", Decimal("0.0015")),
        ("1e24", 10**24),
        ("-1e24", -(10**24)),
        ("1000000000000000000000000", 10**24),
        ("-1000000000000000000000000", -(10**24)),
        ("123456789012345678901234.5678901234", Decimal("123456789012345678901234.5678901234")),
        ("1e-34", Decimal("1e-34")),
        ("1.000000000000000000000000000000000000000000", 1),
    ],
)
def test_json_numbers_are_exact(tmp_path: Path, text: str, expected: Scalar) -> None:
    path = write(tmp_path, "n.json", f'{{"period": "2026-08", "metrics": {{"revenue": {text}}}}}')
    [read] = read_snapshot_file(path, SHAPES)
    assert exactly(read.metrics["revenue"], expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7, 7),
        (Decimal("7.000"), 7),
        (Decimal("2E+3"), 2000),
        (Decimal("-0.50"), Decimal("-0.5")),
        (0.1, Decimal("0.1")),  # the float's repr, not its binary expansion
        (2.0, 2),
        (1e24, 10**24),
        (-3.25, Decimal("-3.25")),
    ],
)
def test_python_numbers_are_exact(value: object, expected: Scalar) -> None:
    [read] = from_data(snapshot("2026-08", revenue=value, spend={"a": value}))
    assert exactly(read.metrics["revenue"], expected)
    spend = read.metrics["spend"]
    assert isinstance(spend, dict)
    assert exactly(spend["a"], expected)


def test_null_means_absent() -> None:
    [read] = from_data(snapshot("2026-08", revenue=None, orders=3, spend={"a": None, "b": 2}))
    assert read.metrics == {"orders": 3, "spend": {"b": 2}}


def test_a_keyed_metric_of_null_keys_is_present_and_empty() -> None:
    [read] = from_data(snapshot("2026-08", spend={"a": None}))
    assert read.metrics == {"spend": {}}


def test_undeclared_metrics_are_not_checked() -> None:
    data = snapshot("2026-08", reach="lots", funnel=[1, 2], nested={"a": {"b": True}}, orders=1)
    [read] = from_data(data)
    assert read.metrics == {"orders": 1}


def test_an_integer_over_python_s_digit_limit_is_too_large_not_a_crash(tmp_path: Path) -> None:
    huge = "9" * 5000
    text = f'{{"period": "2026-08", "metrics": {{"revenue": {huge}}}}}'
    raises(
        lambda: read_snapshot_file(write(tmp_path, "huge.json", text), SHAPES),
        "huge.json: period 2026-08, metric `revenue`: 9999",
        "is too large",
    )


def test_an_undeclared_huge_integer_is_ignored(tmp_path: Path) -> None:
    text = f'{{"period": "2026-08", "metrics": {{"reach": {"9" * 5000}, "orders": 2}}}}'
    [read] = read_snapshot_file(write(tmp_path, "huge.json", text), SHAPES)
    assert read.metrics == {"orders": 2}


# ---- Unicode ----------------------------------------------------------------------------


def test_metric_names_and_keys_are_nfc_normalised() -> None:
    decomposed_name = unicodedata.normalize("NFD", "chi_phí")
    decomposed_key = unicodedata.normalize("NFD", "quảng cáo")
    assert decomposed_name != "chi_phí"
    [read] = from_data(snapshot("2026-08", **{decomposed_name: {decomposed_key: 5}}))
    assert read.metrics == {"chi_phí": {"quảng cáo": 5}}


def test_unicode_keys_survive_a_json_file(tmp_path: Path) -> None:
    data = snapshot("2026-08", spend={"抖音": 1, "quảng cáo": Decimal("2.5")})
    text = json.dumps(data, default=str, ensure_ascii=True).replace('"2.5"', "2.5")
    [read] = read_snapshot_file(write(tmp_path, "u.json", text), SHAPES)
    assert read.metrics == {"spend": {"抖音": 1, "quảng cáo": Decimal("2.5")}}


# ---- the fast path for large keyed metrics ---------------------------------------------


def test_large_keyed_metrics_read_exactly() -> None:
    keys = {f"rep{i}": i - 50_000 for i in range(100_000)}
    [read] = from_data(snapshot("2026-08", spend=keys))
    assert read.metrics["spend"] == keys
    assert read.metrics["spend"] is not keys  # a copy: the caller's dict stays theirs


@pytest.mark.parametrize(
    ("odd_value", "expected"),
    [(None, None), (Decimal("2.50"), Decimal("2.5")), (3.0, 3), (10**24, 10**24)],
)
def test_large_keyed_metrics_with_one_odd_value(odd_value: object, expected: object) -> None:
    keys: dict[str, object] = {f"rep{i}": i for i in range(1000)}
    keys["rep500"] = odd_value
    [read] = from_data(snapshot("2026-08", spend=keys))
    spend = read.metrics["spend"]
    assert isinstance(spend, dict)
    assert spend.get("rep500") == expected
    assert len(spend) == (999 if expected is None else 1000)


def test_large_keyed_metrics_with_non_ascii_keys_are_normalised() -> None:
    keys = {unicodedata.normalize("NFD", f"khách_{i}_ế"): i for i in range(1000)}
    [read] = from_data(snapshot("2026-08", spend=keys))
    spend = read.metrics["spend"]
    assert isinstance(spend, dict)
    assert spend[unicodedata.normalize("NFC", "khách_7_ế")] == 7
    assert all(unicodedata.is_normalized("NFC", key) for key in spend)


@pytest.mark.parametrize(
    ("odd_value", "fragment"),
    [
        (True, "true is not a number"),
        (10**24 + 1, "is too large"),
        ("5", '"5" is text where a number is expected'),
    ],
)
def test_large_keyed_metrics_still_reject_bad_values(odd_value: object, fragment: str) -> None:
    keys: dict[str, object] = {f"rep{i}": i for i in range(1000)}
    keys["rep500"] = odd_value
    data_error(
        snapshot("2026-08", spend=keys), "period 2026-08, metric `spend`, key `rep500`", fragment
    )


def test_large_keyed_metrics_still_reject_nfc_twins() -> None:
    keys: dict[str, object] = {f"rep{i}": i for i in range(1000)}
    keys["ế"] = 1
    keys[unicodedata.normalize("NFD", "ế")] = 2
    data_error(snapshot("2026-08", spend=keys), "metric `spend`, key `ế`", "NFC")


# ---- CSV --------------------------------------------------------------------------------

CSV = """period,revenue,spend.advertising,spend.sales_promotion,reach,orders
2026-09,700000000,130000000,,5,
2026-08,610000000.5,120000000,60000000,4,16
"""


def test_reads_csv_with_keyed_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "plan.csv", CSV)
    september, august = read_snapshot_file(path, SHAPES)
    assert september.period == SEPTEMBER
    assert september.origin == path
    # Empty cells are absent; `reach` is not declared.
    assert september.metrics == {"revenue": 700000000, "spend": {"advertising": 130000000}}
    assert august.metrics == {
        "revenue": Decimal("610000000.5"),
        "orders": 16,
        "spend": {"advertising": 120000000, "sales_promotion": 60000000},
    }


def test_csv_keys_split_at_the_first_dot(tmp_path: Path) -> None:
    path = write(tmp_path, "dots.csv", "period,spend.ads.video\n2026-08,5\n")
    [read] = read_snapshot_file(path, SHAPES)
    assert read.metrics == {"spend": {"ads.video": 5}}


def test_csv_with_a_bom_quotes_white_space_and_blank_rows(tmp_path: Path) -> None:
    text = (
        '\ufeffperiod, revenue ,"chi_phí.quảng cáo"\r\n'
        '\r\n2026-08, 1.5e3 ,"7"\r\n,,\r\n2026-09,,\r\n\r\n'
    )
    path = tmp_path / "bom.csv"
    path.write_bytes(text.encode("utf-8"))
    august, september = read_snapshot_file(str(path), SHAPES)
    assert august.metrics == {"revenue": 1500, "chi_phí": {"quảng cáo": 7}}
    assert september.metrics == {}


def test_csv_headers_are_nfc_normalised(tmp_path: Path) -> None:
    header = unicodedata.normalize("NFD", "chi_phí.quảng cáo")
    [read] = read_snapshot_file(write(tmp_path, "nfd.csv", f"period,{header}\n2026-08,3\n"), SHAPES)
    assert read.metrics == {"chi_phí": {"quảng cáo": 3}}


def test_a_csv_with_only_a_header_holds_no_snapshots(tmp_path: Path) -> None:
    assert read_snapshot_file(write(tmp_path, "h.csv", "period,revenue\n"), SHAPES) == []


def test_csv_and_json_read_alike(tmp_path: Path) -> None:
    from_csv = read_snapshot_file(write(tmp_path, "a.csv", CSV), SHAPES)
    rows = [
        snapshot("2026-09", revenue=700000000, spend={"advertising": 130000000}),
        snapshot(
            "2026-08",
            revenue=Decimal("610000000.5"),
            orders=16,
            spend={"advertising": 120000000, "sales_promotion": 60000000},
        ),
    ]
    assert [(s.period, s.metrics) for s in from_csv] == [
        (s.period, s.metrics) for s in from_data(rows)
    ]


# ---- merging ----------------------------------------------------------------------------


def test_merges_two_files_by_period_in_date_order(tmp_path: Path) -> None:
    first = write(
        tmp_path,
        "a.json",
        json.dumps([snapshot("2026-09", orders=21), snapshot("2026-07", orders=9)]),
    )
    second = write(tmp_path, "b.csv", "period,revenue,spend.ads\n2026-09,5,1\n2026-08,4,\n")
    history = read_history([first, second], SHAPES)
    assert history.cadence == "monthly"
    assert [period_label(s.period) for s in history.snapshots] == ["2026-07", "2026-08", "2026-09"]
    july, august, september = history.snapshots
    assert july.metrics == {"orders": 9}
    assert july.origin == first
    assert august.metrics == {"revenue": 4}
    assert september.metrics == {"orders": 21, "revenue": 5, "spend": {"ads": 1}}
    assert september.origin == f"{first}, {second}"


def test_orders_periods_given_out_of_order() -> None:
    labels = ["2026-Q4", "2025-Q1", "2026-Q1", "2025-Q4"]
    history = merge_snapshots([from_data([snapshot(label, orders=1) for label in labels])])
    assert [period_label(s.period) for s in history.snapshots] == [
        "2025-Q1",
        "2025-Q4",
        "2026-Q1",
        "2026-Q4",
    ]
    assert history.cadence == "quarterly"


def test_merging_with_the_ruleset_s_cadence() -> None:
    history = merge_snapshots([from_data(snapshot("2026-W33", orders=1))], "weekly")
    assert history.cadence == "weekly"


def test_an_empty_history_has_no_cadence(tmp_path: Path) -> None:
    assert merge_snapshots([]) == History((), None)
    assert merge_snapshots([[]], "monthly") == History((), None)
    assert read_history([write(tmp_path, "e.json", "[]")], SHAPES) == History((), None)


def test_one_metric_from_each_of_two_sources_for_one_period() -> None:
    first = snapshots_from_data(snapshot("2026-08", spend={"a": 1}), "a.json", SHAPES)
    second = snapshots_from_data(snapshot("2026-08", orders=2), "b.json", SHAPES)
    [merged] = merge_snapshots([first, second]).snapshots
    assert merged.metrics == {"spend": {"a": 1}, "orders": 2}
    assert merged.origin == "a.json, b.json"


def test_merging_leaves_its_inputs_alone() -> None:
    first = snapshots_from_data(snapshot("2026-08", orders=1), "a.json", SHAPES)
    second = snapshots_from_data(snapshot("2026-08", revenue=2), "b.json", SHAPES)
    merge_snapshots([first, second])
    assert first[0].metrics == {"orders": 1}
    assert second[0].metrics == {"revenue": 2}


# ---- errors in values: each names the file, period, metric and key --------------------


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("1e400", "1e400 is too large (at most 10^24 and 34 significant digits)"),
        ("1000000000000000000000001", "1000000000000000000000001 is too large"),
        ("-1.0000000000000000000000001e24", "is too large"),
        ("1e9999999999999999999999", "1e9999999999999999999999 is out of range"),
        ("1.00000000000000000000000000000000001", "more than 34 significant digits"),
        ("1e-35", "1e-35 has more than 34 digits after the point"),
        ("NaN", "NaN is not a number"),
        ("Infinity", "Infinity is not a number"),
        ("-Infinity", "-Infinity is not a number"),
        ('"610000000"', '"610000000" is text where a number is expected'),
        ("true", "true is not a number"),
        ("false", "false is not a number"),
        ("[1, 2]", "a list where a number is expected"),
        ('{"a": 1}', "a map of keys where a single number is expected"),
    ],
)
def test_bad_scalar_values_in_json(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, "bad.json", f'{{"period": "2026-08", "metrics": {{"revenue": {text}}}}}')
    error = raises(
        lambda: read_snapshot_file(path, SHAPES),
        f"{path}: period 2026-08, metric `revenue`: ",
        fragment,
    )
    assert error.path == path
    assert isinstance(error, InputError)


def test_the_exact_message_for_a_huge_exponent(tmp_path: Path) -> None:
    path = write(tmp_path, "big.json", '{"period": "2026-08", "metrics": {"revenue": 1e400}}')
    with pytest.raises(SnapshotError) as caught:
        read_snapshot_file(path, SHAPES)
    assert str(caught.value) == (
        f"{path}: period 2026-08, metric `revenue`: "
        "1e400 is too large (at most 10^24 and 34 significant digits)"
    )
    assert caught.value.reason == (
        "period 2026-08, metric `revenue`: "
        "1e400 is too large (at most 10^24 and 34 significant digits)"
    )


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("5", '"5" is text where a number is expected'),
        (True, "true is not a number"),
        (1e400, "inf is not a number"),
        (float("nan"), "nan is not a number"),
        (Decimal("NaN"), "NaN is not a number"),
        (Decimal("-Infinity"), "-Infinity is not a number"),
        (Decimal("1e25"), "1e25 is too large"),
        (10**25, "10000000000000000000000000 is too large"),
        pytest.param(10**10_000, "a number of about 10000 digits is too large", id="huge-int"),
        ([1], "a list where a number is expected"),
        ({"x": 1}, "a map where a number is expected"),
        (object(), "a Python object where a number is expected"),
    ],
)
def test_bad_key_values_in_data(value: object, fragment: str) -> None:
    data_error(
        snapshot("2026-08", spend={"ads": 1, "video": value}),
        "period 2026-08, metric `spend`, key `video`: ",
        fragment,
    )


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (5, "a number where a map of keys to numbers is expected (the metric is keyed)"),
        ("ads", "text where a map of keys"),
        ([1, 2], "a list where a map of keys"),
        (False, "false where a map of keys"),
    ],
)
def test_a_keyed_metric_needs_a_map(value: object, fragment: str) -> None:
    data_error(snapshot("2026-08", spend=value), "period 2026-08, metric `spend`: ", fragment)


def test_a_key_that_is_not_text() -> None:
    data_error(snapshot("2026-08", spend={1: 5}), "metric `spend`: the key 1 is not text")


@pytest.mark.parametrize("text", ["NaN", "-Infinity", "1e9999999999999999999999"])
def test_a_keyed_metric_given_a_json_non_number(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "k.json", f'{{"period": "2026-08", "metrics": {{"spend": {text}}}}}')
    raises(
        lambda: read_snapshot_file(path, SHAPES),
        f"{path}: period 2026-08, metric `spend`: {text} where a map of keys",
    )


def test_nan_in_a_key(tmp_path: Path) -> None:
    text = '{"period": "2026-08", "metrics": {"spend": {"ads": 1, "tv": NaN}}}'
    path = write(tmp_path, "k.json", text)
    raises(
        lambda: read_snapshot_file(path, SHAPES),
        f"{path}: period 2026-08, metric `spend`, key `tv`: NaN is not a number",
    )


def test_nan_in_an_undeclared_metric_still_makes_the_file_invalid(tmp_path: Path) -> None:
    path = write(tmp_path, "nan.json", '{"period": "2026-08", "metrics": {"reach": NaN}}')
    raises(lambda: read_snapshot_file(path, SHAPES), f"{path}: NaN is not a number")


# ---- errors in the shape of snapshots ---------------------------------------------------


def test_a_metric_given_twice_in_one_object(tmp_path: Path) -> None:
    text = '{"period": "2026-08", "metrics": {"orders": 1, "orders": 2}}'
    path = write(tmp_path, "twice.json", text)
    raises(
        lambda: read_snapshot_file(path, SHAPES),
        f"{path}: period 2026-08, metric `orders`: is given twice",
    )


def test_an_undeclared_metric_given_twice_is_ignored(tmp_path: Path) -> None:
    text = '{"period": "2026-08", "metrics": {"reach": 1, "reach": 2, "orders": 3}}'
    [read] = read_snapshot_file(write(tmp_path, "twice.json", text), SHAPES)
    assert read.metrics == {"orders": 3}


def test_a_key_given_twice_in_one_object(tmp_path: Path) -> None:
    text = '{"period": "2026-08", "metrics": {"spend": {"ads": 1, "ads": 1}}}'
    path = write(tmp_path, "twice.json", text)
    raises(
        lambda: read_snapshot_file(path, SHAPES),
        f"{path}: period 2026-08, metric `spend`, key `ads`: is given twice",
    )


def test_a_field_given_twice_in_a_snapshot(tmp_path: Path) -> None:
    text = '{"period": "2026-08", "period": "2026-09", "metrics": {}}'
    path = write(tmp_path, "twice.json", text)
    raises(lambda: read_snapshot_file(path, SHAPES), f"{path}: snapshot 1: ", '"period"', "twice")


def test_metric_names_equal_once_normalised() -> None:
    data = snapshot("2026-08", **{"chi_phí": {}, unicodedata.normalize("NFD", "chi_phí"): {}})
    data_error(data, "period 2026-08, metric `chi_phí`: is given twice", "NFC")


def test_keys_equal_once_normalised() -> None:
    spend = {"ế": 1, unicodedata.normalize("NFD", "ế"): 2}
    data_error(snapshot("2026-08", spend=spend), "metric `spend`, key `ế`: is given twice", "NFC")


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        (42, ["holds a number, where a snapshot, a list of snapshots"]),
        ("2026-08", ["holds text, where a snapshot"]),
        (None, ["holds null"]),
        ([1], ["snapshot 1: holds a number, where a snapshot object is expected"]),
        (
            [snapshot("2026-08"), "x"],
            ["snapshot 2: holds text, where a snapshot object is expected"],
        ),
        ({"metrics": {}}, ["snapshot 1: has no `period`"]),
        ({"period": "2026-08"}, ["period 2026-08: has no `metrics`"]),
        ({"period": 202608, "metrics": {}}, ["snapshot 1: the period is a number"]),
        ({"period": None, "metrics": {}}, ["snapshot 1: the period is null"]),
        (
            {"period": "2026-13", "metrics": {}},
            ["snapshot 1: `2026-13` is not on the calendar: there is no month 13"],
        ),
        ({"period": "August", "metrics": {}}, ["snapshot 1: `August` is not a period"]),
        ({"period": "2026-W54", "metrics": {}}, ["`2026-W54` is not on the calendar"]),
        (
            {"period": "2026-08", "metric": {"orders": 1}},
            ['period 2026-08: unknown field "metric"', "only `period` and `metrics`"],
        ),
        (
            {"period": "2026-08", "metrics": {}, "note": "x"},
            ['period 2026-08: unknown field "note"'],
        ),
        ({"period": "2026-08", "metrics": None}, ["period 2026-08: `metrics` holds null"]),
        ({"period": "2026-08", "metrics": [1]}, ["`metrics` holds a list, where an object"]),
        ({"snapshots": {}}, ["`snapshots` holds an object, where a list is expected"]),
        ({"snapshots": [], "version": 1}, ['unknown field "version" beside `snapshots`']),
        (
            [snapshot("2026-08"), snapshot("2026-09"), snapshot("2026-08")],
            ["period 2026-08 is given twice (snapshot 1 and snapshot 3)"],
        ),
    ],
)
def test_malformed_snapshots(data: object, fragments: list[str]) -> None:
    data_error(data, *fragments)


def test_a_period_given_twice_in_a_json_file(tmp_path: Path) -> None:
    text = json.dumps([snapshot("2026-08", orders=1), snapshot("2026-08", revenue=2)])
    path = write(tmp_path, "twice.json", text)
    raises(lambda: read_snapshot_file(path, SHAPES), f"{path}: period 2026-08 is given twice")


# ---- errors in CSV ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("revenue,orders\n5,6\n", ["line 1: the header has no `period` column"]),
        ("period,revenue,period\n2026-08,1,2026-08\n", ["line 1: `period` is given twice"]),
        ("period,revenue,revenue\n2026-08,1,2\n", ["line 1: column `revenue` is given twice"]),
        ("period,spend.a,spend.a\n2026-08,1,2\n", ["line 1: column `spend.a` is given twice"]),
        ("period,revenue\n2026-08,1\n2026-09\n", ["line 3 has 1 cells, where the header has 2"]),
        ("period,revenue\n2026-08,1,2\n", ["line 2 has 3 cells, where the header has 2"]),
        ("period,revenue\n,5\n", ["line 2: the period is empty"]),
        ("period,revenue\n2026-8,5\n", ["line 2: `2026-8` is not a period"]),
        (
            "period,revenue\n2026-08,1\n2026-09,2\n2026-08,3\n",
            ["period 2026-08 is given twice (line 2 and line 4)"],
        ),
        (
            "period,revenue\n2026-08,abc\n",
            ["line 2, period 2026-08, column `revenue`: `abc` is text where a number is expected"],
        ),
        (
            'period,spend.advertising\n2026-08,"1,5"\n',
            ["line 2, period 2026-08, column `spend.advertising`: `1,5` is text"],
        ),
        ("period,revenue\n2026-08,NaN\n", ["column `revenue`: `NaN` is text"]),
        ("period,revenue\n2026-08,Infinity\n", ["column `revenue`: `Infinity` is text"]),
        ("period,revenue\n2026-08,+5\n", ["`+5` is text"]),
        ("period,revenue\n2026-08,05\n", ["`05` is text"]),
        ("period,revenue\n2026-08,.5\n", ["`.5` is text"]),
        ("period,revenue\n2026-08,5.\n", ["`5.` is text"]),
        ("period,revenue\n2026-08,true\n", ["`true` is text"]),
        ("period,revenue\n2026-08,1_000\n", ["`1_000` is text"]),
        (
            "period,revenue\n2026-08,1e400\n",
            ["column `revenue`: 1e400 is too large (at most 10^24 and 34 significant digits)"],
        ),
        (
            "period,revenue\n2026-08,10000000000000000000000000\n",
            ["column `revenue`: 10000000000000000000000000 is too large"],
        ),
        ("period,revenue\n2026-08,1e-99\n", ["1e-99 has more than 34 digits after the point"]),
        (
            "period,spend\n2026-08,5\n",
            ["period 2026-08, column `spend`: `spend` is keyed: give each key a column"],
        ),
        (
            "period,revenue.web\n2026-08,5\n",
            ["period 2026-08, column `revenue.web`: `revenue` is not keyed"],
        ),
        (",,\n,,\n", ["has no header row"]),
    ],
)
def test_malformed_csv(tmp_path: Path, text: str, fragments: list[str]) -> None:
    path = write(tmp_path, "bad.csv", text)
    error = raises(lambda: read_snapshot_file(path, SHAPES), f"{path}: ", *fragments)
    assert error.path == path


def test_csv_columns_equal_once_normalised(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "chi_phí.a")
    path = write(tmp_path, "nfd.csv", f"period,chi_phí.a,{decomposed}\n2026-08,1,2\n")
    raises(lambda: read_snapshot_file(path, SHAPES), "line 1: column `chi_phí.a` is given twice")


def test_a_wrongly_shaped_column_without_values_is_harmless(tmp_path: Path) -> None:
    path = write(tmp_path, "ok.csv", "period,spend,orders\n2026-08,,3\n")
    [read] = read_snapshot_file(path, SHAPES)
    assert read.metrics == {"orders": 3}


def test_a_csv_cell_over_the_field_limit(tmp_path: Path) -> None:
    text = f'period,reach\n2026-08,1\n2026-09,"{"x" * 200_000}"\n'
    path = write(tmp_path, "wide.csv", text)
    raises(lambda: read_snapshot_file(path, SHAPES), f"{path}: line 3 is not valid CSV")


# ---- errors in files --------------------------------------------------------------------


def test_a_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "missing.json")
    error = raises(lambda: read_snapshot_file(path, SHAPES), f"{path}: no such file")
    assert error.path == path


def test_a_folder(tmp_path: Path) -> None:
    raises(lambda: read_snapshot_file(str(tmp_path), SHAPES), f"{tmp_path}: is a folder")


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    data = "period,revenue\n2026-08,é\n".encode("latin-1")
    byte = data.index(b"\xe9") + 1
    path.write_bytes(data)
    raises(
        lambda: read_snapshot_file(str(path), SHAPES), f"{path}: is not UTF-8 text (byte {byte} "
    )


def test_a_file_the_system_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "locked.json", AUGUST_JSON)

    real_open = os.open

    def refuse(name: str, *args: Any, **kwargs: Any) -> int:
        if name == path:
            raise PermissionError(13, "Permission denied")
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    raises(lambda: read_snapshot_file(path, SHAPES), f"{path}: cannot be read (Permission denied)")


def test_a_path_with_a_nul() -> None:
    raises(lambda: read_snapshot_file("bad\x00name.json", SHAPES), "cannot be read")


def test_a_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_bytes(b"\x89PNG\x00\x00")
    raises(lambda: read_snapshot_file(str(path), SHAPES), f"{path}: is a binary file")


@pytest.mark.parametrize("text", ["", "  \n\t\n"])
@pytest.mark.parametrize("name", ["empty.json", "empty.csv", "empty.txt"])
def test_an_empty_file(tmp_path: Path, name: str, text: str) -> None:
    path = write(tmp_path, name, text)
    raises(lambda: read_snapshot_file(path, SHAPES), f"{path}: is empty")


def test_invalid_json_names_the_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.json", '{"period": "2026-08",\n "metrics": {"a": 1,}}')
    raises(
        lambda: read_snapshot_file(path, SHAPES),
        f"{path}: is not valid JSON (line 2, column ",
        "Expecting property name",
    )


def test_a_file_that_is_neither_json_nor_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "notes.txt", "period revenue\n2026-08 5\n")
    raises(
        lambda: read_snapshot_file(path, SHAPES),
        f"{path}: is neither JSON nor CSV (read as JSON, line 1, column 1",
    )


def test_json_nested_too_deeply(tmp_path: Path) -> None:
    path = write(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000)
    raises(lambda: read_snapshot_file(path, SHAPES), f"{path}: is nested too deeply")


def test_read_history_reports_the_file_at_fault(tmp_path: Path) -> None:
    good = write(tmp_path, "good.json", json.dumps(snapshot("2026-08", orders=1)))
    missing = str(tmp_path / "missing.csv")
    raises(lambda: read_history([good, missing], SHAPES), f"{missing}: no such file")


# ---- errors in merging ------------------------------------------------------------------


def test_a_metric_given_in_two_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a.json", json.dumps(snapshot("2026-08", orders=1, revenue=5)))
    second = write(tmp_path, "b.csv", "period,orders\n2026-08,1\n")
    error = raises(
        lambda: read_history([first, second], SHAPES),
        f"{second}: period 2026-08, metric `orders`: given in both {first} and {second}",
    )
    assert error.path == second


def test_a_keyed_metric_given_in_two_files_even_with_other_keys() -> None:
    first = snapshots_from_data(snapshot("2026-08", spend={"a": 1}), "a.json", SHAPES)
    second = snapshots_from_data(snapshot("2026-08", spend={"b": 1}), "b.json", SHAPES)
    raises(
        lambda: merge_snapshots([first, second]),
        "b.json: period 2026-08, metric `spend`: given in both a.json and b.json",
    )


def test_a_metric_given_twice_in_one_group() -> None:
    group = [
        Snapshot(AUGUST, {"orders": 1}, "a.json"),
        Snapshot(AUGUST, {"orders": 2}, "a.json"),
    ]
    raises(
        lambda: merge_snapshots([group]),
        "a.json: period 2026-08, metric `orders`: given twice in a.json",
    )


def test_periods_in_different_forms(tmp_path: Path) -> None:
    first = write(tmp_path, "months.json", json.dumps(snapshot("2026-08", orders=1)))
    second = write(tmp_path, "weeks.csv", "period,revenue\n2026-W33,1\n")
    raises(
        lambda: read_history([first, second], SHAPES),
        f"{second}: period 2026-W33 is an ISO week, but period 2026-08 (in {first}) is a month",
    )


@pytest.mark.parametrize(
    ("cadence", "period", "expected"),
    [
        ("monthly", "2026-W33", "write its periods as 2026-07 (a month)"),
        ("weekly", "2026-08", "write its periods as 2026-W33 (an ISO week)"),
        ("daily", "2026-Q3", "write its periods as 2026-07-15 (a day)"),
        ("quarterly", "2026-08-01", "write its periods as 2026-Q3 (a quarter)"),
    ],
)
def test_periods_not_of_the_ruleset_s_cadence(
    tmp_path: Path, cadence: str, period: str, expected: str
) -> None:
    path = write(tmp_path, "s.json", json.dumps(snapshot(period, orders=1)))
    raises(
        lambda: read_history([path], SHAPES, cadence),
        f"{path}: period {period} is ",
        f"but the ruleset is {cadence}: {expected}",
    )


def test_merging_needs_a_real_cadence() -> None:
    with pytest.raises(ValueError, match="not a cadence"):
        merge_snapshots([], "yearly")


# ---- round trips ------------------------------------------------------------------------

METRICS: MetricShapes = {"revenue": False, "orders": False, "spend": True, "người_dùng": True}

values = st.one_of(
    st.integers(-LARGEST, LARGEST),
    st.integers(-(10**20), 10**20),
    # Up to 34 significant digits, placed so that the value stays within 10^24.
    st.builds(
        lambda coefficient, exponent: Decimal(f"{coefficient}E{exponent}"),
        st.integers(-(10**34) + 1, 10**34 - 1),
        st.integers(-34, -10),
    ),
    st.builds(
        lambda coefficient, exponent: Decimal(f"{coefficient}E{exponent}"),
        st.integers(-(10**20), 10**20),
        st.integers(-14, 4),
    ),
)
keys = st.text(max_size=8).map(lambda text: unicodedata.normalize("NFC", text))
keyed_values = st.dictionaries(keys, st.none() | values, max_size=6)


@st.composite
def snapshot_lists(draw: st.DrawFn) -> list[dict[str, object]]:
    cadence = draw(st.sampled_from(CADENCES))
    days = draw(st.lists(st.dates(date(1990, 1, 1), date(2100, 12, 31)), max_size=6))
    labels = list(dict.fromkeys(period_label(period_containing(day, cadence)) for day in days))
    snapshots: list[dict[str, object]] = []
    for label in labels:
        metrics = {
            "revenue": draw(st.none() | values),
            "orders": draw(values),
            "spend": draw(st.none() | keyed_values),
            "người_dùng": draw(keyed_values),
            "undeclared": draw(st.none() | values | keyed_values),
        }
        snapshots.append({"period": label, "metrics": metrics})
    return snapshots


def to_json(value: object, ascii_only: bool) -> str:
    """JSON text with numbers written from their exact text, as json.dumps cannot for Decimal."""
    if isinstance(value, dict):
        items = (
            f"{json.dumps(k, ensure_ascii=ascii_only)}: {to_json(v, ascii_only)}"
            for k, v in value.items()
        )
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_json(item, ascii_only) for item in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=ascii_only)
    return str(value)


def normal(value: int | Decimal) -> Scalar:
    """What the reader must give back: the same value, as int where it is whole."""
    exact = Fraction(value)
    return int(exact) if exact.denominator == 1 else Decimal(value)


def expected_metrics(metrics: dict[str, object]) -> dict[str, object]:
    expected: dict[str, object] = {}
    for name, value in metrics.items():
        if name not in METRICS or value is None:
            continue
        if isinstance(value, dict):
            expected[name] = {k: normal(v) for k, v in value.items() if v is not None}
        else:
            assert isinstance(value, int | Decimal)
            expected[name] = normal(value)
    return expected


def same_exactly(read: dict[str, object], expected: dict[str, object]) -> bool:
    if read.keys() != expected.keys():
        return False
    for name, value in read.items():
        if isinstance(value, dict):
            wanted = expected[name]
            assert isinstance(wanted, dict)
            if value.keys() != wanted.keys():
                return False
            if not all(exactly(value[key], wanted[key]) for key in value):
                return False
        else:
            wanted_scalar = expected[name]
            assert isinstance(wanted_scalar, int | Decimal)
            if not exactly(value, wanted_scalar):
                return False
    return True


@settings(deadline=None)
@given(
    snapshots=snapshot_lists(),
    wrapping=st.sampled_from(["list", "object"]),
    ascii_only=st.booleans(),
)
def test_json_round_trip_is_exact(
    tmp_path_factory: pytest.TempPathFactory,
    snapshots: list[dict[str, object]],
    wrapping: str,
    ascii_only: bool,
) -> None:
    data: object = snapshots if wrapping == "list" else {"snapshots": snapshots}
    path = tmp_path_factory.mktemp("round") / "snapshots.json"
    path.write_text(to_json(data, ascii_only), encoding="utf-8")
    history = read_history([str(path)], METRICS)
    by_label = {item["period"]: item["metrics"] for item in snapshots}
    assert [period_label(s.period) for s in history.snapshots] == sorted(
        by_label, key=lambda label: parse_period(str(label))
    )
    for read in history.snapshots:
        metrics = by_label[period_label(read.period)]
        assert isinstance(metrics, dict)
        assert same_exactly(dict(read.metrics), expected_metrics(metrics))
        assert read.origin == str(path)
    # The same data handed over as Python objects reads the same.
    from_python = merge_snapshots([snapshots_from_data(data, DATA_ORIGIN, METRICS)])
    assert [(s.period, s.metrics) for s in from_python.snapshots] == [
        (s.period, s.metrics) for s in history.snapshots
    ]
