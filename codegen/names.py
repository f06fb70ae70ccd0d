"""Python identifiers for names from `.mg` text, shared by the fx backend and the emitter.

Names in the text (networks, sections, blocks, inputs, outputs) follow the grammar's
`NAME` token, which accepts Unicode letters. Before one becomes a Python identifier
(a submodule, a local variable, a class, a dict key) it goes through `py_ident`: ASCII
only, never a keyword, a builtin, a dunder or an `nn.Module` / `GraphModule` attribute.
`Namespace` then keeps the names of one scope distinct. Both are deterministic, so the
fx module and the emitted source agree name for name (and so do their `state_dict`s).

>>> py_ident("__class__"), py_ident("forward"), py_ident("Größe"), py_ident("exec")
('class__', 'forward_', 'Grosse', 'exec_')
>>> ns = Namespace()
>>> ns.add("a-b"), ns.add("a_b"), ns.add("A_b")
('a_b', 'a_b_2', 'A_b')
"""

from __future__ import annotations

import builtins
import keyword
import re
import unicodedata
from collections.abc import Iterable

__all__ = ["py_ident", "comment_text", "Namespace", "RESERVED", "spell", "spelled_name"]

# Public attributes of `nn.Module` instances and of `torch.fx.GraphModule` (torch 2.x);
# tests/codegen/test_names.py checks this list against the installed torch.
MODULE_ATTRIBUTES = frozenset("""
T_destination add_module add_submodule apply bfloat16 buffers call_super_init children code
compile cpu cuda delete_all_unused_submodules delete_submodule double dump_patches eval
extra_repr float forward get_buffer get_extra_state get_parameter get_submodule graph half
ipu load_state_dict meta modules mtia named_buffers named_children named_modules
named_parameters parameters print_readable recompile register_backward_hook
register_buffer register_forward_hook register_forward_pre_hook register_full_backward_hook
register_full_backward_pre_hook register_load_state_dict_post_hook
register_load_state_dict_pre_hook register_module register_parameter
register_state_dict_post_hook register_state_dict_pre_hook requires_grad_ set_extra_state
set_submodule shape_env share_memory state_dict to to_empty to_folder train training type
xpu zero_grad
""".split())

# Names the emitted file defines or imports at module level, and `self`.
FILE_NAMES = frozenset({"self", "torch", "nn", "F", "math", "operator", "BatchNorm", "Linear",
                        "init_paper", "init", "seed"})

RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins)) \
    | MODULE_ATTRIBUTES | FILE_NAMES

# Letters NFKD does not decompose into ASCII, spelled the usual way.
_TRANSLIT = {"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "OE",
             "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D",
             "ı": "i"}
_NOT_IDENT = re.compile(r"[^A-Za-z0-9_]")


def _ascii(text: str) -> str:
    out = []
    for ch in unicodedata.normalize("NFKD", text):
        if ch.isascii():
            out.append(ch)
        elif unicodedata.combining(ch):
            continue
        elif ch in _TRANSLIT:
            out.append(_TRANSLIT[ch])
        else:
            out.append(f"_u{ord(ch):04x}")
    return "".join(out)


_SYMBOLS = {"+": "add", "-": "sub", "*": "mul"}
_OPERATOR_SEGMENT = re.compile(r"([+*-])(\d*)")


def spell(segment: str) -> str:
    """An IR name segment with an operator symbol spelled out: `+` -> `add`, `*1` -> `mul1`.

    >>> spell("+"), spell("-2"), spell("conv0")
    ('add', 'sub2', 'conv0')
    """
    m = _OPERATOR_SEGMENT.fullmatch(segment)
    return _SYMBOLS[m.group(1)] + m.group(2) if m else segment


def spelled_name(name: str, sep: str = "_") -> str:
    """A dotted IR name as one identifier-like string, operators spelled out
    (`fpn.+.g4` -> `fpn_add_g4`)."""
    return sep.join(spell(seg) for seg in name.split("."))


def py_ident(raw: str) -> str:
    """A readable ASCII Python identifier for `raw`, safe as an attribute of a module.

    Non-ASCII letters are transliterated (or spelled `_uXXXX_`), other characters become
    `_`, leading underscores go (no dunders, no private attributes), a leading digit gets
    an `n`, and keywords, builtins and module attributes get a trailing `_`.
    """
    name = _NOT_IDENT.sub("_", _ascii(str(raw)))
    name = name.lstrip("_") or "x"
    if name[0].isdigit():
        name = "n" + name
    if name in RESERVED:
        name += "_"
    return name


class Namespace:
    """Distinct identifiers for one scope: the first `x` stays `x`, later ones get `x_2`,
    `x_3`, ... Deterministic for a given order of `add` calls."""

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self._used: set[str] = set(reserved)

    def add(self, raw: str) -> str:
        """Claim and return a fresh identifier for `raw`."""
        base = py_ident(raw)
        name, k = base, 2
        while name in self._used:
            name = f"{base}_{k}"
            k += 1
        self._used.add(name)
        return name

    def __contains__(self, name: str) -> bool:
        return name in self._used


def comment_text(text: str) -> str:
    """`text` made safe for a one-line `#` comment: printable ASCII only, everything else
    (newlines, carriage returns, non-ASCII) as a backslash escape."""
    out = []
    for ch in str(text):
        if " " <= ch <= "~":
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return "".join(out)
