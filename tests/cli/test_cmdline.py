"""One `--set` parser for every command, and errors about arguments that point at the
command line (`mgdsl.cli.sets`, `mgdsl.cli.cmdline`)."""

from __future__ import annotations

import pytest
from paths import ROOT

from mgdsl.cli.cmdline import CommandLine
from mgdsl.cli.main import main
from mgdsl.cli.sets import parse_set_value, parse_sets
from mgdsl.errors import MgError

MG = str(ROOT / "architectures" / "mg.mg")


@pytest.mark.parametrize("text, value", [
    ("3", 3), ("-3", -3), ("0.5", 0.5), ("1e-3", 0.001), ("true", True), ("false", False),
    ("[2,2,2,2]", (2, 2, 2, 2)), ("[1, [2, 3]]", (1, (2, 3))), ("[]", ()), ('"B"', "B"),
    ("B", "B"), ("max_pool", "max_pool"), (" 7 ", 7), ("[true, -1.5]", (True, -1.5)),
])
def test_set_values(text, value):
    assert parse_set_value(text) == value
    assert type(parse_set_value(text)) is type(value)


@pytest.mark.parametrize("text", ["[2, 2", "a-b", "{1: 2}", "", "1 2", "-x", "f(1)"])
def test_set_values_that_are_not_values(text):
    with pytest.raises(ValueError):
        parse_set_value(text)


@pytest.mark.parametrize("item, message", [
    ("depth", "`--set depth` is not of the form NAME=VALUE"),
    ("=3", "`--set =3` is not of the form NAME=VALUE"),
    ("w=[1,", "`--set w=[1,`: `[1,` is not a value"),
    ("w=", "`--set w=`: no value after `=`"),
])
def test_malformed_sets_name_the_argument(item, message):
    with pytest.raises(MgError) as info:
        parse_sets([item])
    assert info.value.code == "E411" and info.value.message == message
    assert info.value.subject == ("set", item)


@pytest.mark.parametrize("verb", ["check", "stats", "dump", "render", "compile"])
def test_every_front_end_verb_takes_list_values(verb, tmp_path, capsys):
    extra = {"render": ["-o", str(tmp_path / "x.svg")], "compile": ["-o", str(tmp_path / "x.py")]}
    argv = [verb, "R-MG-34", "--set", "units=[1,1,1,1]", "--set", "w=8", *extra.get(verb, [])]
    assert main(argv) == 0, capsys.readouterr().err


def test_wrong_kind_of_value_names_set_and_the_key(capsys):
    assert main(["check", "MG-16", "--set", "w=abc"]) == 1
    err = capsys.readouterr().err
    assert ("<command line>:1:25: error[E710]: `--set w=abc`: network parameter `w` takes an "
            "integer (its default is 64), not a string `\"abc\"`") in err
    assert "1 | mgdsl check MG-16 --set w=abc\n  |                         ^^^^^" in err
    assert main(["check", "R-MG-34", "--set", "units=3"]) == 1
    assert "`units` takes a list (its default is [3, 4, 6, 3]), not an integer" in \
        capsys.readouterr().err


def test_unknown_parameter_points_at_the_command_line(capsys):
    assert main(["stats", "MG-16", "--set=q=3"]) == 1
    err = capsys.readouterr().err
    assert "<command line>:1:25: error[E202]: `--set q=3`: network `MG` has no parameter `q`" in err


def test_network_typo_points_at_the_command_line(capsys):
    assert main(["check", MG, "--network", "MGG"]) == 1
    err = capsys.readouterr().err
    col = len(f"mgdsl check {MG} --network ") + 1
    assert f"<command line>:1:{col}: error[E211]: no network `MGG`" in err
    assert "^^^" in err and "did you mean `MG`?" in err
    assert main(["stats", MG, "--network=MGG"]) == 1
    assert f"<command line>:1:{col}: error[E211]" in capsys.readouterr().err


def test_one_argument_error_in_many_files_is_printed_once(capsys):
    assert main(["check", MG, MG, "--set", "q=1"]) == 1
    assert capsys.readouterr().err.count("error[E202]") == 1


def test_api_errors_keep_pointing_at_the_file():
    import mgdsl

    with pytest.raises(MgError) as info:
        mgdsl.load("MG-16", w="abc")
    assert info.value.code == "E710" and info.value.span.file.endswith("mg.mg")


def test_command_line_quotes_and_columns():
    line = CommandLine(["check", "a b.mg", "--set", "w=[1, 2]"])
    assert line.text == "mgdsl check 'a b.mg' --set 'w=[1, 2]'"
    item, span = line.find_set("w")
    assert item == "w=[1, 2]" and span.col == line.text.index("'w=") + 1
    assert line.find("--network", "x") is None


def test_missing_file_gives_no_use_path_hint(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["check", "nosuch.mg"]) == 1
    err = capsys.readouterr().err
    assert "error[E601]: no such file: `nosuch.mg`" in err and "`use`" not in err
    (tmp_path / "u.mg").write_text('use "nope.mg"\n')
    assert main(["check", "u.mg"]) == 1
    assert "relative to the including file" in capsys.readouterr().err
