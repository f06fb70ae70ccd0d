"""The front end and its commands must not import torch (einops keeps frameworks lazy)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from paths import ROOT


def test_import_mgdsl_and_cli_does_not_import_torch() -> None:
    code = ("import sys, mgdsl, mgdsl.cli.main, mgdsl.cli.check, mgdsl.cli.stats, "
            "mgdsl.cli.dump, mgdsl.cli.fmt\n"
            "mgdsl.cli.main.build_parser()\n"
            "ir = mgdsl.load('architectures/mg.mg', n=1)\n"
            "from mgdsl.analyses.summary import summarize\nsummarize(ir)\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=str(ROOT))
    assert result.returncode == 0, result.stderr


def test_check_and_stats_commands_do_not_import_torch() -> None:
    code = ("import sys\nfrom mgdsl.cli.main import main\n"
            "assert main(['check', '-q', 'architectures/mg.mg']) == 0\n"
            "assert main(['stats', 'architectures/mg.mg', '--set', 'n=1']) == 0\n"
            "assert main(['dump', 'architectures/mg.mg', '--set', 'n=1']) == 0\n"
            "assert 'torch' not in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=str(ROOT))
    assert result.returncode == 0, result.stderr


def _package_imports() -> dict[str, set[str]]:
    """Module -> the mgdsl modules it imports anywhere in its body (top level or inside a
    function), except under `if TYPE_CHECKING:`; read from the source, not by importing."""
    import ast

    modules = _modules()

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


# ------------------------------------------------------------------------------ layers

FRONT_END = "mgdsl.compilation"
# who may import the elaborator and the parser (docs/contributing.md, "Two more rules")
PRIVATE_TO_FRONT_END = {
    "mgdsl.elab": ("mgdsl.elab", FRONT_END),
    "mgdsl.syntax.parser": ("mgdsl.syntax", "mgdsl.elab", FRONT_END),
}


def layers() -> dict[str, int]:
    """Package -> layer (0 = lowest), read from the table in docs/contributing.md."""
    import re

    text = (ROOT / "docs" / "contributing.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- layers:[^>]*-->\s*```text\n(.*?)```", text, re.S)
    assert block, "docs/contributing.md lost its layer table"
    ranks: dict[str, int] = {}
    for rank, line in enumerate(block.group(1).strip().splitlines()):
        _, packages = line.split(":", 1)
        ranks.update(dict.fromkeys(packages.split(), rank))
    return ranks


def _modules() -> dict[str, Path]:
    """Every module of the package (`mgdsl.x.y` -> its path), codegen as `mgdsl.codegen`."""
    roots = {"mgdsl": ROOT / "mgdsl", "mgdsl.codegen": ROOT / "codegen"}
    modules = {}
    for prefix, folder in roots.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join((prefix, *parts))] = path
    return modules


def imports_of(path, name: str | None, modules) -> list[tuple[int, str]]:
    """(line, module) of every mgdsl module the file at `path` imports, at the top or
    deferred inside a function, except under `if TYPE_CHECKING:` and the version
    constant; relative imports are resolved against `name` (the file's module)."""
    import ast

    def resolve(target: str) -> str | None:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        return target or None

    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
            and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
    package = name if name and path.name == "__init__.py" else (name or "").rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            if base == "mgdsl" and [a.name for a in node.names] == ["__version__"]:
                continue
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                       for a in node.names]
        else:
            continue
        for target in targets:
            if target.split(".")[0] == "mgdsl":
                dep = resolve(target)
                if dep:
                    found.append((node.lineno, dep))
    return found


def _package_of(module: str, ranks: dict[str, int]) -> str | None:
    """The entry of the layer table `module` belongs to (the longest matching prefix; the
    `mgdsl` entry is `mgdsl/__init__.py` alone, not a catch-all)."""
    while module and module not in ranks:
        module = module.rpartition(".")[0]
        if module == "mgdsl":
            return None
    return module or None


def _shown(path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _within(module: str, prefixes) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def layer_violations(modules=None) -> list[str]:
    """Every import that breaks a layer rule of docs/contributing.md."""
    ranks = layers()
    modules = modules if modules is not None else _modules()
    problems = []
    for name, path in sorted(modules.items()):
        own = _package_of(name, ranks)
        if own is None:
            problems.append(f"{name}: not in the layer table of docs/contributing.md")
            continue
        for line, dep in imports_of(path, name, modules):
            theirs = _package_of(dep, ranks)
            if theirs is None or theirs == own:
                continue
            where = f"{_shown(path)}:{line}: {name} imports {dep}"
            if ranks[theirs] >= ranks[own]:
                problems.append(f"{where} (layer `{theirs}` is not below `{own}`)")
            for private, allowed in PRIVATE_TO_FRONT_END.items():
                if _within(dep, [private]) and not _within(name, allowed):
                    problems.append(f"{where} (only the front end, {FRONT_END}, may)")
    for folder in ("benchmarks", "scripts"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for line, dep in imports_of(path, None, modules):
                if _within(dep, PRIVATE_TO_FRONT_END):
                    problems.append(f"{path.relative_to(ROOT)}:{line}: imports {dep} (only "
                                    f"the front end, {FRONT_END}, may)")
    return sorted(set(problems))


def test_layer_table_names_every_package() -> None:
    ranks = layers()
    assert ranks["mgdsl.syntax"] < ranks["mgdsl.elab"] < ranks[FRONT_END] < \
        ranks["mgdsl.diagrams"] < ranks["mgdsl.train"] < ranks["mgdsl.cli"]
    missing = [m for m in _modules() if _package_of(m, ranks) is None]
    assert not missing, f"add these to the layer table of docs/contributing.md: {missing}"


def test_every_import_follows_the_layer_rules() -> None:
    problems = layer_violations()
    assert not problems, "layer rules broken (docs/contributing.md):\n" + "\n".join(problems)


def test_the_layer_check_sees_deferred_and_relative_imports(tmp_path) -> None:
    """A lower layer importing a higher one inside a function, and a relative import
    reaching the elaborator, are both caught."""
    ir_mod = tmp_path / "lint.py"
    ir_mod.write_text("def f():\n    from mgdsl.diagrams.layers import build_view\n")
    ops_mod = tmp_path / "conv.py"
    ops_mod.write_text("from ..codegen import support\nfrom ..elab import primitives\n")
    modules = {**_modules(), "mgdsl.ir.lint": ir_mod, "mgdsl.ops.conv": ops_mod}
    problems = layer_violations(modules)
    assert any("mgdsl.ir.lint imports mgdsl.diagrams.layers" in p for p in problems)
    assert any("mgdsl.ops.conv imports mgdsl.codegen" in p for p in problems)
    assert any("mgdsl.ops.conv imports mgdsl.elab" in p and "front end" in p
               for p in problems)
