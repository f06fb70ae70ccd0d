"""The fx backend: a checked IR -> a `torch.fx.GraphModule`, built directly (no tracing).

Inputs become placeholders (in declaration order, named after the inputs), module ops
`call_module` nodes on submodules whose dotted paths follow the IR names, other ops
`call_function` nodes (each op's `lower`, in `mgdsl.ops`). The module returns one tensor, or a
dict output name -> tensor when the network has several outputs.

Modules are created without PyTorch's default initialisation (`uninitialised`), then
initialised once, in module order (`init="paper"`, as the authors' Torch code does, or PyTorch's defaults), so
building a network costs little beyond the initialisation itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

import networkx as nx
import torch
import torch.fx as fx
from torch import nn

from mgdsl.gcpause import gc_paused
from mgdsl.ir.graph import reads
from mgdsl.ops import MODULE_OPS, OPS, Call, Module

from . import attention, support
from .names import spelled_name
from .plan import Plan, module_paths, plan, shared_modules
from .support import init_paper

__all__ = [
    "to_fx", "build_modules", "module_class", "call_target", "uninitialised", "replicate_uninitialised", "initialise",
    "fold_conv_bn", "gc_paused",
]

INITS = ("paper", "torch", "none")


def uninitialised(cls: type[nn.Module], *args, **kwargs) -> nn.Module:
    """`cls(*args, **kwargs)` on the CPU without its default initialisation: storage is
    allocated but holds garbage until `initialise` (or `reset_parameters`) runs."""
    m = cls.__new__(cls)
    object.__setattr__(m, "reset_parameters", _noop)  # shadows the method during __init__
    cls.__init__(m, *args, **kwargs)
    object.__delattr__(m, "reset_parameters")
    return m


def _noop() -> None:
    return None


_CONTAINERS = (dict, set, list)  # OrderedDict is a dict


def replicate_uninitialised(template: nn.Module) -> nn.Module:
    """A module like `template` (a leaf: no submodules) with fresh uninitialised storage.

    Equivalent to calling the constructor again with the same arguments, without running
    it: the instance dictionary is copied (containers such as the hook tables copied, not
    shared) and every parameter and buffer is replaced by an `empty_like` one. Building
    the zoo's deepest network constructs ~200 layers of ~35 kinds, and `nn.Module`
    construction (an attribute check per field) was a fifth of text -> GraphModule.
    """
    cls = type(template)
    m = cls.__new__(cls)
    d = {k: v.copy() if isinstance(v, _CONTAINERS) else v for k, v in template.__dict__.items()}
    d["_parameters"] = {k: None if p is None else nn.Parameter(torch.empty_like(p), p.requires_grad)
                        for k, p in template._parameters.items()}
    d["_buffers"] = {k: None if b is None else torch.empty_like(b)
                     for k, b in template._buffers.items()}
    m.__dict__.update(d)
    return m


def _named(name: str) -> Any:
    """A layer or function the op table names by string: defined in this package (its text
    is copied into emitted source), so the op table never imports the code generator."""
    for module in (support, attention):
        if name in module.__all__:
            return getattr(module, name)
    raise KeyError(f"no layer or function `{name}` in mgdsl.codegen.support or .attention")


def module_class(low: Module) -> type[nn.Module]:
    """The torch class of a module lowering (a name means a layer of this package)."""
    return _named(low.cls) if isinstance(low.cls, str) else low.cls


def call_target(low: Call) -> Callable[..., Any]:
    """The function a call lowering calls (a name means a function of this package)."""
    return _named(low.target) if isinstance(low.target, str) else low.target


def build_modules(ir: nx.DiGraph, nodes: list[int]) -> dict[int, nn.Module]:
    """Uninitialised CPU submodules for the module-op `nodes` of `ir`: each distinct
    layer is constructed once, its repeats replicated (`replicate_uninitialised`)."""
    g = ir.nodes
    mods = {}
    built: dict[tuple, nn.Module] = {}
    for n in nodes:
        d = g[n]
        low = OPS[d.op].lower(d.args, [g[u].shape for u in d.inputs])
        assert isinstance(low, Module)
        cls, args, kwargs = module_class(low), low.args, low.kwargs
        key = (cls, args, tuple(kwargs.items()))
        try:
            template = built.get(key)
        except TypeError:  # an unhashable argument: construct it, nothing to share
            key, template = None, None
        if template is not None and not template._modules:  # only leaves replicate
            mods[n] = replicate_uninitialised(template)
            continue
        mods[n] = uninitialised(cls, *args, **kwargs)
        if key is not None:
            built[key] = mods[n]
    return mods


def initialise(model: nn.Module, init: str = "paper", seed: int | None = None) -> None:
    """Initialise every submodule of `model`: the paper's scheme (`init_paper`) or each
    module's PyTorch default (`reset_parameters`), or nothing (`"none"`: the values are
    garbage until a `state_dict` is loaded). `seed` makes it reproducible."""
    if init == "none":
        return
    if init == "paper":
        init_paper(model, seed)
        return
    rng = torch.random.fork_rng(devices=[]) if seed is not None else contextlib.nullcontext()
    with rng:
        if seed is not None:
            torch.manual_seed(seed)
        for m in model.modules():
            if m is not model and hasattr(m, "reset_parameters"):
                m.reset_parameters()


@torch.no_grad()
def fold_conv_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    """Fold `bn`'s inference transform into `conv` in place (the conv gains a bias)."""
    scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
    weight = conv.weight.double() * scale.reshape(-1, 1, 1, 1)
    bias = conv.bias.double() if conv.bias is not None else torch.zeros_like(scale)
    bias = (bias - bn.running_mean.double()) * scale + bn.bias.double()
    conv.weight = nn.Parameter(weight.to(conv.weight.dtype))
    conv.bias = nn.Parameter(bias.to(conv.weight.dtype))


def _tree(paths: Mapping[int, tuple[str, ...]], mods: Mapping[int, nn.Module],
          root: nn.Module) -> nn.Module:
    """Hang `mods` on `root` at `paths`, creating plain containers in path order.

    The path segments come from `plan` (valid, distinct, never a module attribute), so
    this fills `_modules` directly: `add_module` would re-check each name at a cost that
    dominates building a large network.
    """
    for nid, path in paths.items():
        parent = root
        for seg in path[:-1]:
            child = parent._modules.get(seg)
            if child is None:
                child = parent._modules[seg] = nn.Module()
            parent = child
        parent._modules[path[-1]] = mods[nid]
    return root


def _graph(ir: nx.DiGraph, p: Plan) -> fx.Graph:
    g = fx.Graph()
    env: dict[int, fx.Node] = {}
    data = ir.nodes
    for nid, ident in p.inputs:
        env[nid] = g.placeholder(ident)
        env[nid].meta["mg_node"] = nid
    for nid in p.compute:
        d = data[nid]
        spec = OPS[d.op]
        ins = tuple(env[p.source_of(u)] for u in d.inputs)
        name = spelled_name(d.name)
        # Arguments are set after `create_node`, which would otherwise walk them with
        # pytree to warn about symbolic ints (IR arguments are plain values): that walk
        # was a third of the time spent building the graph.
        if spec.module:
            node = g.create_node("call_module", ".".join(p.path_of(nid)), name=name)
            node.args = ins
        else:
            low = spec.lower(d.args, [data[u].shape for u in reads(ir, nid)])
            assert isinstance(low, Call)
            ins += tuple(env[p.source_of(u)] for u in d.refs)
            node = g.create_node("call_function", call_target(low), name=name)
            node.args = (list(ins), *low.extra) if low.variadic else (*ins, *low.extra)
            if low.kwargs:
                node.kwargs = dict(low.kwargs)
        node.meta["mg_node"] = nid
        env[nid] = node
    outs = [(key, env[p.source_of(src)]) for key, src in p.outputs]
    g.output(outs[0][1] if len(outs) == 1 else dict(outs))
    return g


def to_fx(ir: nx.DiGraph, *, init: str = "paper", fold_bn: bool = False, prune: bool = False,
          seed: int | None = None, state_dict: Mapping[str, torch.Tensor] | None = None,
          class_name: str | None = None) -> fx.GraphModule:
    """Compile a checked IR to a `torch.fx.GraphModule` on the CPU.

    `init`: "paper" (as the authors' Torch code), "torch" (PyTorch defaults) or "none" (no
    initialisation, for loading weights next or counting on the meta device); `seed`
    makes it reproducible. `state_dict`: weights of the unfolded module to load after
    initialisation (e.g. trained ones). `fold_bn`: fold every BN whose input is a conv
    read by that BN alone into the conv, for inference (the module comes back in eval
    mode). `prune`: do not compute nodes no
    output reads (`meta.live is False`); their parameters still exist.
    """
    if init not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")
    with gc_paused():
        gm = _build(ir, init, fold_bn, prune, seed, state_dict, class_name)
    return gm


def _build(ir: nx.DiGraph, init: str, fold_bn: bool, prune: bool, seed: int | None,
           state_dict: Mapping[str, torch.Tensor] | None, class_name: str | None
           ) -> fx.GraphModule:
    """The body of `to_fx` (its arguments checked)."""
    p = plan(ir, fold_bn=fold_bn, prune=prune, class_name=class_name)
    shared = shared_modules(ir)  # nodes calling another node's module have none
    module_nodes = [n for n in sorted(ir.nodes) if ir.nodes[n].op in MODULE_OPS
                    and n not in shared]
    mods = build_modules(ir, module_nodes)
    gm = fx.GraphModule(nn.Module(), fx.Graph(), class_name=p.class_name)
    # initialise (and load) the unfolded tree, so that folding never changes the weights
    full = _tree(module_paths(ir, module_nodes), mods, nn.Module()) if p.folded else gm
    _tree(p.paths, mods, gm)
    initialise(full, init, seed)
    if state_dict is not None:
        full.load_state_dict(state_dict)
    for bn, conv in p.folded.items():
        fold_conv_bn(mods[conv], mods[bn])
    gm.graph = _graph(ir, p)
    return gm.eval() if p.folded else gm
