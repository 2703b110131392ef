"""The language server's matching of what is typed, and its reading of a file cut short: no
server needed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from planrules.lang.source import Source
from planrules.lsp.matching import match_rank, matches
from planrules.lsp.partial import tolerant_module
from tests.conftest import RULESETS


def test_typing_without_diacritics_case_or_underscores_finds_the_name() -> None:
    assert matches("doanh", "doanh_thu")
    assert matches("doanh thu", "doanh_thu")
    assert matches("DOANH THU", "doanh_thu")
    assert matches("chi tieu", "Chỉ tiêu đơn từng rep")
    assert matches("don tung rep", "Chỉ tiêu đơn từng rep")
    assert matches("Đơn", "don_hang")  # đ is d
    assert matches("销售", "销售额")
    assert not matches("doanh thu", "don_hang")


def test_a_name_that_starts_with_what_is_typed_ranks_first() -> None:
    assert match_rank("thu", "thu_nhap") == 0
    assert match_rank("thu", "doanh_thu") == 1
    assert match_rank("hu", "doanh_thu") == 2
    assert match_rank("", "anything") == 0


@given(st.text(alphabet="aăâdđeêioôơuưyAĐ _", min_size=1, max_size=12))
def test_every_name_matches_itself_and_its_bare_spelling(name: str) -> None:
    bare = name.replace("đ", "d").replace("Đ", "D").upper().replace("_", " ")
    assert matches(name, name)
    assert matches(bare, name)


def test_a_file_that_does_not_parse_keeps_every_whole_declaration() -> None:
    text = (RULESETS / "saado.plan").read_text("utf-8")
    broken = text.replace("let ty_le_chot = don_hang / quan_tam", "let ty_le_chot = don_hang /")
    broken = broken.replace("    warn above 5%", "    warn above")
    module = tolerant_module(Source.from_text("saado.plan", broken))
    whole = tolerant_module(Source.from_text("saado.plan", text))
    assert module is not None and whole is not None
    lost = {d.name for d in whole.declarations} - {d.name for d in module.declarations}
    assert lost == {"ty_le_chot", "Tỷ lệ phản hồi xấu"}
