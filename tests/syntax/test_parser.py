"""The table of bad examples that translates Lark's errors is itself a test."""

from __future__ import annotations

import re

import pytest

from mgdsl.errors import MgSyntaxError
from mgdsl.syntax.parser import SYNTAX_ERRORS, parse_text

CASES = [(message, example) for message, _, examples in SYNTAX_ERRORS for example in examples]
LARK_WORDS = re.compile(r"\b(RPAR|LPAR|LSQB|RSQB|LBRACE|RBRACE|COMMA|EQUAL|COLON|__ANON\w*|\$END|"
                        r"_NL|Token|UnexpectedToken|VisitError)\b")


@pytest.mark.parametrize("message,example", CASES)
def test_each_bad_example_gets_its_message(message: str, example: str) -> None:
    with pytest.raises(MgSyntaxError) as info:
        parse_text(example, "bad.mg")
    assert str(info.value.message).startswith(message), str(info.value)
    assert info.value.hint
    assert not LARK_WORDS.search(str(info.value)), str(info.value)


@pytest.mark.parametrize("text", [
    "network N() { p = 3 % 2 }", "network N() { p = 'a' }", "network N() { p = f(1 2 3) }",
    "network N() { input x: 1 x 2 }", "blok b() {}", "network N() { p = (((1) }",
    "\x00\x01", "network N() { input = 3 }", "}", "network N() { p = 1.2.3 }",
])
def test_other_bad_text_never_leaks_parser_internals(text: str) -> None:
    with pytest.raises(MgSyntaxError) as info:
        parse_text(text, "bad.mg")
    rendered = str(info.value)
    assert rendered.startswith("bad.mg:")
    assert "^" in rendered
    assert not LARK_WORDS.search(rendered), rendered


def test_keyword_as_name_is_explained() -> None:
    with pytest.raises(MgSyntaxError) as info:
        parse_text("network N() { input x: 1 x 4 x 4  repeat = x }", "k.mg")
    assert "keyword" in info.value.message or "statement" in info.value.message


def test_soft_keywords_stay_names_elsewhere() -> None:
    module = parse_text("network N(x = 2) { input image: 1 x 4 x 4  input_ = x  output y = image }")
    assert module.items[0].params[0].name == "x"
