"""The front end and its commands must not import torch (einops keeps frameworks lazy)."""

from __future__ import annotations

import subprocess
import sys


def test_import_mgdsl_and_cli_does_not_import_torch() -> None:
    code = ("import sys, mgdsl, mgdsl.cli.main, mgdsl.cli.check, mgdsl.cli.stats, "
            "mgdsl.cli.dump, mgdsl.cli.fmt\n"
            "mgdsl.cli.main.build_parser()\n"
            "ir = mgdsl.load('architectures/mg.mg', n=1)\n"
            "from mgdsl.analyses.summary import summarize\nsummarize(ir)\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=str(__import__("pathlib").Path(__file__).parent.parent))
    assert result.returncode == 0, result.stderr


def test_check_and_stats_commands_do_not_import_torch() -> None:
    code = ("import sys\nfrom mgdsl.cli.main import main\n"
            "assert main(['check', '-q', 'architectures/mg.mg']) == 0\n"
            "assert main(['stats', 'architectures/mg.mg', '--set', 'n=1']) == 0\n"
            "assert main(['dump', 'architectures/mg.mg', '--set', 'n=1']) == 0\n"
            "assert 'torch' not in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=str(__import__("pathlib").Path(__file__).parent.parent))
    assert result.returncode == 0, result.stderr
