"""Editor support: the VS Code extension's TextMate grammar (tokenised by VS Code's own
engine, vscode-textmate + vscode-oniguruma, under node) and the Pygments lexer, both
checked token by token against mgdsl's parser over every `.mg` file in the repository."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest
from helpers import repository_mg_files
from lark import Lark, Token, Tree
from lark.exceptions import LarkError
from paths import ROOT
from PIL import Image
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, String

from mgdsl.syntax.highlight import MgLexer

VSCODE = ROOT / "editors" / "vscode"
GRAMMAR = VSCODE / "syntaxes" / "mg.tmLanguage.json"
TEXTMATE = ROOT / "tests" / "textmate"

# the words the language gains with `if`: highlighted before and after the grammar has them
KEYWORDS_SAMPLE = """use "std.mg"

block pick(p, ch, deep = true) {
    if deep and not (ch <= 8 or ch != 16) {
        q = cbr(p, ch * 2 ** 1)
    } else if ch >= 4 {
        q = cbr(p, ch)
    } else {
        q = p
    }
    repeat_ = 1
    return q
}
"""


FILES = repository_mg_files()

# ------------------------------------------------------------------ reference tokens


@dataclass(frozen=True)
class Ref:
    """One token as mgdsl's own parser sees it, and what a highlighter must make of it."""

    kind: str  # keyword, dimension, logical, number, string, comment, or a NAME role
    text: str
    line: int  # 1-based
    col: int  # 1-based
    pos: int  # 0-based offset in the file


NAME_ROLES = {("block_def", 1): "block-name", ("network_def", 1): "network-name",
              ("call", 0): "callee", ("param", 0): "parameter", ("section", 1): "section-name",
              ("kwarg", 0): "argument"}
LOGICAL = {"and", "or", "not"}
CONSTANTS = {"true", "false", "none"}


_COMMENTS: list[Token] = []


@functools.cache
def _reference_parser() -> Lark:
    """mgdsl's grammar, keeping every token (keywords and punctuation too)."""
    grammar = resources.files("mgdsl.syntax").joinpath("mg.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", propagate_positions=True,
                maybe_placeholders=True, keep_all_tokens=True,
                lexer_callbacks={"COMMENT": _COMMENTS.append})


@functools.lru_cache(maxsize=64)
def reference_tokens(text: str) -> tuple[list[Ref], bool]:
    """The classified tokens of `text`, and whether it parsed (if not: literals and
    comments only, from the lexer)."""
    comments = _COMMENTS
    comments.clear()
    parser = _reference_parser()
    refs: list[Ref] = []

    def ref(kind: str, tok: Token) -> None:
        refs.append(Ref(kind, str(tok), tok.line, tok.column, tok.start_pos))

    def literal(tok: Token) -> bool:
        if tok.type in ("NUMBER", "STRING"):
            ref(tok.type.lower(), tok)
            return True
        return False

    try:
        tree = parser.parse(text)
    except LarkError:
        comments.clear()
        try:
            for tok in parser.lex(text):
                literal(tok)
        except LarkError:
            pass
        refs += [Ref("comment", str(c), c.line, c.column, c.start_pos) for c in comments]
        return refs, False
    stack = [tree]
    while stack:
        node = stack.pop()
        for i, child in enumerate(node.children):
            if isinstance(child, Tree):
                stack.append(child)
            elif isinstance(child, Token) and not literal(child):
                if child.type == "NAME" and child.value in CONSTANTS:
                    ref("constant", child)
                elif child.type == "NAME":
                    ref(NAME_ROLES.get((node.data, i), "name"), child)
                elif child.value == "x" and node.data in ("input_decl", "grid_size"):
                    ref("dimension", child)
                elif child.value in LOGICAL:
                    ref("logical", child)
                elif child.value.isidentifier():
                    ref("name" if node.data == "target" else "keyword", child)
    refs += [Ref("comment", str(c), c.line, c.column, c.start_pos) for c in comments]
    return refs, True


# ------------------------------------------------------------------- expectations

TEXTMATE_SCOPES = {
    "keyword": ("keyword.", "storage.type."), "dimension": ("keyword.operator.dimension",),
    "logical": ("keyword.operator.logical",), "number": ("constant.numeric",),
    "string": ("string.quoted.double",), "comment": ("comment.line",),
    "block-name": ("entity.name.function.block",), "network-name": ("entity.name.type",),
    "callee": ("entity.name.function.call",), "parameter": ("variable.parameter",),
    "section-name": ("entity.name.section",), "argument": ("variable.parameter.keyword",),
    "name": ("variable.", "entity.name."), "constant": ("constant.language",),
}
PYGMENTS_TOKENS = {
    "keyword": (Keyword,), "dimension": (Operator.Word,), "logical": (Operator.Word,),
    "number": (Number,), "string": (String,), "comment": (Comment,),
    "block-name": (Name.Function,), "network-name": (Name.Class,), "callee": (Name.Function,),
    "parameter": (Name,), "section-name": (Name.Namespace,), "argument": (Name,),
    "name": (Name,), "constant": (Keyword.Constant,),
}


def test_the_reference_sees_every_kind_of_token():
    refs, parsed = reference_tokens((ROOT / "architectures" / "rpmg-seg.mg").read_text())
    assert parsed
    kinds = {r.kind for r in refs}
    assert {"keyword", "dimension", "number", "string", "comment", "network-name", "callee",
            "parameter", "section-name", "argument", "name"} <= kinds
    assert {r.text for r in refs if r.kind == "keyword"} >= {"use", "network", "input",
                                                              "section", "repeat", "as",
                                                              "output", "default"}


# ------------------------------------------------------------------------ TextMate


@pytest.fixture(scope="module")
def keywords_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("mg") / "keywords.mg"
    path.write_text(KEYWORDS_SAMPLE, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def textmate_tokens(keywords_file) -> dict[str, list]:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    if not (TEXTMATE / "node_modules" / "vscode-textmate").is_dir():
        pytest.fail("vscode-textmate is missing: run scripts/setup.sh "
                    "(npm ci --prefix tests/textmate)")
    result = subprocess.run(["node", str(TEXTMATE / "tokenize.js"), str(GRAMMAR),
                             *map(str, [*FILES, keywords_file])], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _scopes_at(tokens: list, line: int, col: int) -> list[str]:
    for start, end, scopes in tokens[line - 1]:
        if start <= col - 1 < end:
            return scopes
    raise AssertionError(f"no TextMate token at {line}:{col}")


def _textmate_problems(path: Path, tokens: list) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    refs, _ = reference_tokens(text)
    problems = []
    for r in refs:
        scopes = _scopes_at(tokens, r.line, r.col)
        want = TEXTMATE_SCOPES[r.kind]
        if not any(s.startswith(want) for s in scopes[1:]):
            problems.append(f"{path.name}:{r.line}:{r.col} {r.text!r} ({r.kind}): {scopes}")
        if r.kind.endswith("name") or r.kind in ("callee", "parameter", "argument"):
            if any(s.startswith(("keyword", "constant", "string", "comment")) for s in scopes):
                problems.append(f"{path.name}:{r.line}:{r.col} name {r.text!r}: {scopes}")
    for n, line in enumerate(tokens):
        for start, _end, scopes in line:
            if any("invalid" in s for s in scopes):
                problems.append(f"{path.name}:{n + 1}:{start + 1} invalid: {scopes}")
    return problems


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_textmate_grammar_scopes_every_token(textmate_tokens, path):
    assert _textmate_problems(path, textmate_tokens[str(path)]) == []


def test_textmate_grammar_covers_the_new_keywords(textmate_tokens, keywords_file):
    assert _textmate_problems(keywords_file, textmate_tokens[str(keywords_file)]) == []
    tokens = textmate_tokens[str(keywords_file)]
    text = KEYWORDS_SAMPLE.split("\n")
    seen = {}
    for n, line in enumerate(tokens):
        for start, end, scopes in line:
            seen.setdefault(text[n][start:end], scopes[-1])
    assert seen["if"] == "keyword.control.if.mg" and seen["else"] == "keyword.control.else.mg"
    for word in ("and", "or", "not"):
        assert seen[word] == f"keyword.operator.logical.{word}.mg"
    assert seen["**"] == seen["*"] == "keyword.operator.arithmetic.mg"
    assert seen["<="] == seen["!="] == "keyword.operator.comparison.mg"
    assert seen["true"] == "constant.language.mg"
    assert seen["repeat_"].startswith("variable.other.")  # a name, not the keyword


def test_vscode_extension_manifest_matches_its_files():
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    (lang,) = manifest["contributes"]["languages"]
    assert lang["id"] == "mg" and ".mg" in lang["extensions"]
    assert (VSCODE / lang["configuration"]).is_file()
    (grammar,) = manifest["contributes"]["grammars"]
    assert grammar["scopeName"] == "source.mg" and (VSCODE / grammar["path"]).is_file()
    assert json.loads(GRAMMAR.read_text(encoding="utf-8"))["scopeName"] == "source.mg"
    assert (VSCODE / manifest["main"]).with_suffix(".js").is_file()
    assert "vscode-languageclient" in manifest["dependencies"]
    config = json.loads((VSCODE / lang["configuration"]).read_text(encoding="utf-8"))
    assert config["comments"]["lineComment"] == "#"
    settings = manifest["contributes"]["configuration"]["properties"]
    assert settings["mgdsl.server.command"]["default"] == ["mgdsl", "lsp"]


def test_vscode_extension_is_ready_to_publish():
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    assert manifest["license"] == "MIT" and "MIT License" in (VSCODE / "LICENSE").read_text()
    assert manifest["repository"]["url"].startswith("https://") and manifest["publisher"]
    readme = (VSCODE / "README.md").read_text(encoding="utf-8")
    for feature in ("Diagnostics", "Hover", "rename", "Quick fixes", "mgdsl.server.command"):
        assert feature in readme
    with Image.open(VSCODE / manifest["icon"]) as icon:  # the marketplace wants >= 128 px
        assert icon.format == "PNG" and icon.size == (128, 128)


VSCE = "@vscode/vsce@3.9.2"


@pytest.mark.slow  # ~40 s the first time: npx downloads vsce
def test_vscode_extension_packages_into_a_vsix(tmp_path):
    for tool in ("npm", "npx"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (scripts/setup.sh installs nodejs and npm)")
    work = tmp_path / "vscode"
    shutil.copytree(VSCODE, work, ignore=shutil.ignore_patterns("node_modules", "*.vsix"))
    for command in (["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                    ["npx", "--yes", VSCE, "package", "--out", str(tmp_path / "mgdsl.vsix")]):
        result = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}\n{result.stderr}"
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    with zipfile.ZipFile(tmp_path / "mgdsl.vsix") as vsix:
        names = set(vsix.namelist())
        assert {"extension/package.json", "extension/extension.js", "extension/readme.md",
                "extension/LICENSE.txt", "extension/images/icon.png",
                "extension/syntaxes/mg.tmLanguage.json",
                "extension/language-configuration.json",
                "extension/node_modules/vscode-languageclient/package.json"} <= names
        assert "extension/images/make_icon.py" not in names
        packed = json.loads(vsix.read("extension/package.json"))
        assert packed["version"] == manifest["version"]
        xml = vsix.read("extension.vsixmanifest").decode()
        assert "<Icon>extension/images/icon.png</Icon>" in xml
        assert "<License>extension/LICENSE.txt</License>" in xml
        assert manifest["repository"]["url"] in xml


def test_vscode_client_is_valid_javascript():
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    result = subprocess.run(["node", "--check", str(VSCODE / "extension.js")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------------------------ Pygments


def test_pygments_finds_the_lexer_by_name_and_file_name():
    assert isinstance(get_lexer_by_name("mg"), MgLexer)
    assert isinstance(get_lexer_for_filename("net.mg"), MgLexer)


def test_pygments_tokens_of_a_sample():
    text = 'use "std.mg"\nblock b(p, k = 3) { return conv(p, 8, k = k) }  # one conv\n'
    tokens = [(t, v) for t, v in MgLexer().get_tokens(text) if v.strip()]
    assert tokens[:4] == [(Keyword.Namespace, "use"), (String.Double, '"std.mg"'),
                          (Keyword.Declaration, "block"), (Name.Function, "b")]
    assert (Name, "p") in tokens and (Operator, "=") in tokens and (Number.Integer, "3") in tokens
    assert (Keyword, "return") in tokens and (Name.Function, "conv") in tokens
    assert (Number.Integer, "8") in tokens and (Comment.Single, "# one conv") in tokens


def _bad_characters(text: str) -> bool:
    """Whether mgdsl's own parser rejects a character of `text` (E101): the golden error
    files hold such characters on purpose, and a lexer marks them as errors too."""
    from mgdsl.errors import MgError
    from mgdsl.syntax.parser import parse_text

    try:
        parse_text(text)
    except MgError as exc:
        return exc.code == "E101" or "\ufffd" in text
    return "\ufffd" in text


def _pygments_problems(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    by_pos = {}
    problems = []
    bad_characters = _bad_characters(text)
    for pos, token, value in MgLexer().get_tokens_unprocessed(text):
        by_pos[pos] = (token, value)
        if token in Error and not bad_characters:
            line = text.count("\n", 0, pos) + 1
            problems.append(f"{path.name}:{line}: Error token {value!r}")
    refs, _ = reference_tokens(text)
    for r in refs:
        token, value = by_pos.get(r.pos, (None, None))
        if token is None or not any(token in want for want in PYGMENTS_TOKENS[r.kind]):
            problems.append(f"{path.name}:{r.line}:{r.col} {r.text!r} ({r.kind}): {token}")
    return problems


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_pygments_lexes_every_file_like_the_parser(path):
    assert _pygments_problems(path) == []


def test_pygments_lexes_the_new_keywords(keywords_file):
    assert _pygments_problems(keywords_file) == []
    tokens = {v: t for t, v in MgLexer().get_tokens(KEYWORDS_SAMPLE)}
    assert tokens["if"] is Keyword and tokens["else"] is Keyword
    assert tokens["and"] is Operator.Word and tokens["repeat_"] is Name


def test_docs_mg_code_fences_highlight_without_errors():
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    fences = []
    for doc in docs:
        parts = doc.read_text(encoding="utf-8").split("```")
        fences += [(doc.name, part[3:]) for part in parts[1::2] if part.startswith("mg\n")]
    assert fences, "no ```mg code fence in README.md or docs/"
    for name, code in fences:
        errors = [v for t, v in MgLexer().get_tokens(code) if t in Error]
        assert errors == [], name
