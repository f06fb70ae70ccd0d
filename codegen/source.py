"""The source emitter: a checked IR -> one standalone PyTorch file (torch only).

The file holds the paper's layers and initialisation (copied from
`mgdsl.codegen.support`) and one `nn.Module` class whose `__init__` builds the same
module tree as the fx backend (so `state_dict` keys are equal) and whose `forward` has
one line per op, with its output shape and the `.mg` line responsible. Everything comes
from `mgdsl.codegen.plan`; text from the `.mg` file only reaches the output as sanitised
identifiers or escaped comments, and the output is identical on every run.
"""

from __future__ import annotations

import importlib.resources
from functools import cache
from typing import Any

import jinja2
import networkx as nx

from mgdsl.analyses.cost import cost_of
from mgdsl.ir.graph import reads
from mgdsl.ops import OPS
from mgdsl.paths import display_path

from .names import comment_text
from .plan import Plan, local_names, plan

__all__ = ["emit_source", "literal", "render_op"]

_MARKER = "# --- emitted below this line ---"
_CHOICE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz_")


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("mgdsl.codegen", "templates"),
        autoescape=False, keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
    )


@cache
def _snippet(op: str, which: str) -> jinja2.Template:
    """The compiled `source` (or `source_module`) Jinja snippet of op `op`."""
    return _env().from_string(getattr(OPS[op], which))


def render_op(view: dict, which: str = "source") -> str:
    """The Python expression of one node (`which="source"`) or the constructor of its
    submodule (`"source_module"`), from the op's snippet and the node's `view`."""
    return _snippet(view["op"], which).render(n=view)


# the modules whose code below their marker line an emitted file holds: always, or when
# the network uses one of the ops named
SUPPORT_MODULES = (("support.py", frozenset()),
                   ("attention.py", frozenset({"attention", "window_attention"})))


@cache
def _support_text(name: str) -> str:
    text = importlib.resources.files("mgdsl.codegen").joinpath(name).read_text("utf-8")
    return text.split(_MARKER, 1)[1].strip()


def _support(ops: set[str]) -> str:
    """The support code a network using `ops` needs."""
    return "\n\n\n".join(_support_text(name) for name, users in SUPPORT_MODULES
                          if not users or users & ops)


def literal(value: Any) -> str:
    """A Python literal for an op argument: numbers, booleans, tuples of them, and the
    lower-case choice words of the op registry (`"uniform"`); anything else is refused."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        return repr(float(value))
    if isinstance(value, (tuple, list)):
        items = [literal(v) for v in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if isinstance(value, str) and value and set(value) <= _CHOICE_CHARS:
        return f'"{value}"'
    raise ValueError(f"cannot emit the op argument {value!r} as a literal")


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(["B", *map(str, shape)]) + ")"


def _where(span) -> str:
    return comment_text(f"{display_path(span.file)}:{span.line}")


def _read(ir: nx.DiGraph, p: Plan) -> set[int]:
    """The nodes whose values something computed, or an output, reads."""
    read = {p.source_of(u) for n in p.compute for u in reads(ir, n)}
    return read | {p.source_of(src) for _, src in p.outputs}


def _view(ir: nx.DiGraph, p: Plan, nid: int, var: dict[int, str], fold: bool,
          read: set[int]) -> dict:
    d = ir.nodes[nid]
    ins = [ir.nodes[u].shape for u in d.inputs]
    lit = {k: literal(v) for k, v in d.args.items() if k not in ("name", "from_size", "shares")}
    if fold:  # a folded BN leaves its conv with a bias
        lit["bias"] = "True"
    return {
        "op": d.op, "var": var.get(nid), "lit": lit,
        "ins": [var[p.source_of(u)] for u in d.inputs],
        "refs": [var[p.source_of(u)] for u in d.refs],
        "mod": "self." + ".".join(p.path_of(nid)) if nid in p.paths or nid in p.shared
               else None,
        "cin": ins[0][0] if ins else None,
        "in": ins, "out": tuple(d.shape),
        "extra": d.shape[0] - ins[0][0] if d.op == "pad" else None,
        "shape": _shape(d.shape), "where": _where(d.span),
        "unused": nid not in read, "dels": [],
    }


def _last_reads(ir: nx.DiGraph, p: Plan, var: dict[int, str]) -> dict[int, list[str]]:
    """Computed node -> the variables `forward` can drop right after computing it.

    A value is dropped after its last reader, unless it is returned or is an argument, so
    `forward` holds no more intermediates than the fx module does (fx frees them the same
    way); autograd keeps what backward needs on its own.
    """
    keep = {p.source_of(src) for _, src in p.outputs} | {nid for nid, _ in p.inputs}
    last: dict[int, int] = {}
    for n in p.compute:
        for u in reads(ir, n):
            last[p.source_of(u)] = n
    out: dict[int, list[str]] = {}
    for value, reader in last.items():
        if value not in keep:
            out.setdefault(reader, []).append(var[value])
    return {n: sorted(set(vs)) for n, vs in out.items()}


def _init_lines(ir: nx.DiGraph, p: Plan, views: dict[int, dict]) -> list[str]:
    lines, made = [], set()
    for nid, path in p.paths.items():
        for i in range(1, len(path)):
            if path[:i] not in made:
                made.add(path[:i])
                lines.append(f"self.{'.'.join(path[:i])} = nn.Module()")
        v = views[nid]
        ctor = render_op(v, "source_module")
        lines.append(f"self.{'.'.join(path)} = {ctor}  # {v['where']}")
    return lines


def emit_source(ir: nx.DiGraph, *, class_name: str | None = None, fold_bn: bool = False) -> str:
    """Standalone PyTorch source for `ir`: a torch-only file defining one `nn.Module`
    class (named after the network, or `class_name`) whose `state_dict` keys equal
    those of `to_fx(ir, fold_bn=fold_bn)`."""
    p = plan(ir, fold_bn=fold_bn, class_name=class_name)
    var = local_names(ir, p)
    needed = list(p.paths) + p.compute
    read = _read(ir, p)
    views = {nid: _view(ir, p, nid, var, fold_bn and nid in p.folded.values(), read)
             for nid in needed}
    views = {nid: views[nid] for nid in sorted(views)}
    for nid, names in _last_reads(ir, p, var).items():
        views[nid]["dels"] = names
    for nid in p.compute:
        views[nid]["expr"] = render_op(views[nid])
    cost = cost_of(ir)
    graph_params = ", ".join(f"{k}={v!r}" for k, v in ir.graph["params"].items())
    inputs_doc = ", ".join(f"{ident} {_shape(ir.nodes[nid].shape)}" for nid, ident in p.inputs)
    outs = [(key, var[p.source_of(src)]) for key, src in p.outputs]
    shapes = {key: _shape(ir.nodes[src].shape) for key, src in p.outputs}
    outputs_doc = (shapes[outs[0][0]] if len(outs) == 1
                   else "a dict " + ", ".join(f'"{k}" {shapes[k]}' for k, _ in outs))
    from mgdsl import __version__

    text = _env().get_template("model.py.j2").render(
        class_name=p.class_name, version=__version__,
        origin=comment_text(f"{display_path(ir.graph['file'])}, network {ir.graph['name']}"),
        params=comment_text(graph_params or "none"),
        n_params=f"{cost.params:,}", n_macs=f"{cost.macs:,}",
        support=_support({d.op for _, d in ir.nodes(data=True)}), inputs_doc=inputs_doc, outputs_doc=outputs_doc,
        init_lines=_init_lines(ir, p, views),
        args=[ident for _, ident in p.inputs],
        nodes=[views[n] for n in p.compute], outputs=outs,
    )
    return text if text.endswith("\n") else text + "\n"

