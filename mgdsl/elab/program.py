"""A program: one entry file with everything it `use`s, and the blocks and networks in it.

`use "file.mg"` is resolved relative to the including file first, then in the standard
library shipped inside the package (`mgdsl/stdlib/`). Includes are loaded once each;
cycles are errors.
"""

from __future__ import annotations

import errno
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mgdsl.elab.primitives import PRIMITIVES
from mgdsl.errors import MgError, MgErrors, MgFileError, MgLimitError, MgNameError, Span
from mgdsl.limits import LIMITS
from mgdsl.paths import display_path, stdlib_dir
from mgdsl.syntax import ast
from mgdsl.syntax.parser import parse_file, parse_text, symlink_loop

__all__ = ["Program", "BlockInfo", "load_program", "stdlib_dir", "display_path"]


@dataclass(frozen=True)
class BlockInfo:
    """A block definition and where it comes from."""

    node: ast.BlockDef
    file: str
    is_std: bool


@dataclass
class Program:
    """The parsed entry module, its includes, and the blocks and networks they define."""

    entry: ast.Module
    modules: dict[str, ast.Module] = field(default_factory=dict)
    blocks: dict[str, BlockInfo] = field(default_factory=dict)

    @property
    def networks(self) -> list[ast.NetworkDef]:
        """The networks defined in the entry file, in order."""
        return [i for i in self.entry.items if isinstance(i, ast.NetworkDef)]


_PARSED: dict[tuple[str, int, int], ast.Module] = {}


def _parse_cached(path: Path, span: Span | None) -> ast.Module:
    """Parse an included file once per (path, mtime, size): the AST is immutable, and the
    standard library is included by nearly every network."""
    try:
        st = path.stat()
        key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    except OSError:
        return parse_file(path, span=span)  # let the parser report the problem
    module = _PARSED.get(key)
    if module is None:
        module = _PARSED[key] = parse_file(path, span=span)
        if len(_PARSED) > 256:
            _PARSED.pop(next(iter(_PARSED)))
    return module


def _found(path: Path, use: ast.Use) -> bool:
    """Whether `path` names something to read: False when nothing is there (nor a link to
    anything); a link loop or a folder that may not be searched is an error of its own,
    not "cannot find"."""
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return False
    except PermissionError:
        raise MgFileError(f"cannot read `{path}` to use: permission denied", use.span,
                          code="E603", hint="check the permissions of the file and of the "
                                            "folders above it") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise symlink_loop(path, use.span) from None
        raise MgFileError(f"cannot read `{path}` to use: {exc.strerror or exc}", use.span,
                          code="E603") from None
    return True


def _resolve_use(use: ast.Use, including: str, root: Path | None = None) -> tuple[Path, bool]:
    std = stdlib_dir()
    name = use.path if use.path.endswith(".mg") else use.path + ".mg"
    if including and not including.startswith("<"):
        local = Path(including).parent / name
        if _found(local, use):
            is_std = _is_std(local, std)
            if root is not None and not is_std and not _inside(local, root):
                raise MgFileError(f"`use \"{use.path}\"` leads outside the served folder",
                                  use.span, code="E930",
                                  hint=f"only files under {root} and the standard library "
                                       "can be used here")
            return local, is_std
    candidate = std / name
    if candidate.exists():
        return candidate, True
    raise MgFileError(f"cannot find `{use.path}` to use", use.span, code="E601",
                      hint="paths are relative to the including file; the standard library "
                           "has: " + ", ".join(sorted(p.name for p in std.glob("*.mg"))))


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return False


def _is_std(path: Path, std: Path) -> bool:
    try:
        return path.resolve().parent == std.resolve()
    except OSError:
        return False


def load_program(source: str | Path, *, text: str | None = None,
                 root: str | Path | None = None,
                 sources: Mapping[str, str] | None = None) -> Program:
    """Parse `source` (a path, or a display name when `text` is given) and all its includes.

    Collects every problem in every file it can reach and raises them together. With
    `root`, a `use` may only reach files under `root` (symlinks followed) or the standard
    library; others are errors (E930), found before the file is read. `sources` maps
    resolved paths to texts read instead of those files (an editor's unsaved buffers).
    """
    if text is not None:
        entry = parse_text(text, str(source))
    else:
        entry = parse_file(source)
    program = Program(entry, {entry.file: entry})
    errors: list[MgError] = []
    _register_blocks(program, entry, is_std=_is_std(Path(entry.file), stdlib_dir())
                     if not entry.file.startswith("<") else False, errors=errors)
    _load_uses(program, entry, stack=[_key(entry.file)], errors=errors,
               root=Path(root) if root is not None else None, sources=sources or {})
    if errors:
        raise MgErrors(errors)
    return program


def _key(file: str) -> str:
    if file.startswith("<"):
        return file
    try:
        return str(Path(file).resolve())
    except OSError:
        return file


def _load_uses(program: Program, module: ast.Module, *, stack: list[str],
               errors: list[MgError], root: Path | None = None,
               sources: Mapping[str, str]) -> None:
    for item in module.items:
        if not isinstance(item, ast.Use):
            continue
        try:
            path, is_std = _resolve_use(item, module.file, root)
            key = _key(str(path))
            if key in stack:
                chain = " -> ".join(Path(s).name for s in stack[stack.index(key):] + [key])
                raise MgFileError(f"`use` cycle: {chain}", item.span, code="E605",
                                  hint="move the shared blocks into a file both can use")
            if len(stack) > LIMITS.max_use_depth:
                raise MgLimitError(f"`use` nested more than {LIMITS.max_use_depth} files deep",
                                   item.span, code="E505")
            if key in program.modules:
                continue
            sub = parse_text(sources[key], str(path)) if key in sources \
                else _parse_cached(path, item.span)
            program.modules[key] = sub
            _register_blocks(program, sub, is_std=is_std, errors=errors)
            _load_uses(program, sub, stack=stack + [key], errors=errors, root=root,
                       sources=sources)
        except MgError as exc:
            errors.append(exc)


def _register_blocks(program: Program, module: ast.Module, *, is_std: bool,
                     errors: list[MgError]) -> None:
    for item in module.items:
        if not isinstance(item, ast.BlockDef):
            continue
        if item.name in PRIMITIVES:
            errors.append(MgNameError(f"block `{item.name}` has the name of a built-in function",
                                      item.span, code="E207", hint="choose another name"))
            continue
        other = program.blocks.get(item.name)
        if other is not None and other.node is not item:
            errors.append(MgNameError(f"block `{item.name}` is defined twice", item.span,
                                      code="E206", notes=[f"first defined at {other.node.span}"]))
            continue
        program.blocks[item.name] = BlockInfo(item, module.file, is_std)
    seen: dict[str, Span] = {}
    for item in module.items:
        if isinstance(item, ast.NetworkDef):
            if item.name in seen:
                errors.append(MgNameError(f"network `{item.name}` is defined twice", item.span,
                                          code="E206", notes=[f"first defined at {seen[item.name]}"]))
            seen[item.name] = item.span
