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


def _package_imports() -> dict[str, set[str]]:
    """Module -> the mgdsl modules it imports anywhere in its body (top level or inside a
    function), except under `if TYPE_CHECKING:`; read from the source, not by importing."""
    import ast
    from pathlib import Path

    root = Path(__file__).parent.parent
    roots = {"mgdsl": root / "mgdsl", "mgdsl.codegen": root / "codegen"}
    modules: dict[str, Path] = {}
    for prefix, folder in roots.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join((prefix, *parts))] = path

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
        deps: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            for target in targets:
                dep = resolve(target) if target.startswith("mgdsl") else None
                if dep and dep != name and not name.startswith(dep + ".") and dep != "mgdsl":
                    deps.add(dep)
        graph[name] = deps
    return graph


def test_no_import_cycles() -> None:
    """Dependencies point one way: no module reaches itself through its imports (a
    package's own `__init__` re-exports are not counted)."""
    import networkx as nx

    graph = nx.DiGraph()
    for module, deps in _package_imports().items():
        graph.add_node(module)
        graph.add_edges_from((module, dep) for dep in deps)
    cycles = sorted(sorted(c) for c in nx.simple_cycles(graph))
    assert cycles == [], f"import cycles: {cycles}"
