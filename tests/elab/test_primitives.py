"""The language built-ins of the op table's ops (`OpSpec.builtin`), op by op: each is
registered with exactly its spec's signature, its applier (if it has one of its own) takes
the spec's arguments, every argument is documented, and no built-in of an op is written
outside the table."""

from __future__ import annotations

import inspect

import pytest

from mgdsl import reference
from mgdsl.elab.context import CallContext
from mgdsl.elab.primitives import APPLIERS, PRIMITIVES
from mgdsl.ops import OPS, PARAM_KINDS, REQUIRED

BUILTIN_OPS = sorted(name for name, spec in OPS.items() if spec.builtin is not None)
APPLIER_OPS = sorted(name for name, spec in OPS.items() if spec.own_applier)

# the built-ins that are not IR ops, with the ops whose nodes each may add
LANGUAGE_FUNCTIONS = {"pyramid": {"avgpool"}, "len": set(), "channels": set(),
                      "levels": set(), "min": set(), "max": {"reduce"}, "mean": {"reduce"},
                      "sum": {"reduce"}, "param": {"learned"}, "split": {"narrow"}}


@pytest.mark.parametrize("op", BUILTIN_OPS)
def test_registered_with_the_signature_of_its_spec(op):
    spec, prim = OPS[op], PRIMITIVES.get(op)
    assert prim is not None, f"`{op}` declares a built-in that is not registered"
    fixed = [p for p in spec.builtin if not p.variadic]
    assert prim.params == tuple((p.name, p.default) for p in fixed)
    assert prim.variadic == any(p.variadic for p in spec.builtin)
    assert prim.defaults_allowed == {p.name for p in fixed if p.default is not REQUIRED}
    assert prim.signature == spec.signature() and prim.doc == spec.usage()
    assert prim.doc.startswith(prim.signature + ": ")


@pytest.mark.parametrize("op", APPLIER_OPS)
def test_applier_takes_the_arguments_of_its_spec(op):
    assert op in APPLIERS, f"`{op}` declares an applier of its own but none is registered"
    fn = APPLIERS[op]
    assert PRIMITIVES[op].apply is fn
    ctx, *params = inspect.signature(fn).parameters.values()
    assert [p.name for p in params] == [p.name for p in OPS[op].builtin]
    for arg, param in zip(OPS[op].builtin, params, strict=True):
        assert (param.kind is param.VAR_POSITIONAL) == arg.variadic, arg.name
        assert param.default is param.empty, f"the default of `{arg.name}` is the spec's"


def test_only_ops_that_declare_an_applier_have_one():
    assert sorted(APPLIERS) == APPLIER_OPS
    assert all(OPS[op].builtin is not None for op in APPLIER_OPS)


@pytest.mark.parametrize("op", BUILTIN_OPS)
def test_every_argument_has_a_kind_and_a_doc(op):
    first, *rest = OPS[op].builtin
    assert first.kind in ("tensor", "grids"), "the first argument is the tensor"
    for p in (first, *rest):
        assert p.kind in PARAM_KINDS and p.doc.strip(), p.name
        assert bool(p.choices) == (p.kind == "choice"), p.name
        if p.choices:
            assert p.default == p.choices[0], f"`{p.name}`: list the default choice first"
        if p.computed:
            assert p.default == -1, f"`{p.name}`: a computed default is held as -1"
        if p.variadic:
            assert p is OPS[op].builtin[-1] and p.default is REQUIRED, p.name
    names = [p.name for p in OPS[op].builtin]
    assert len(names) == len(set(names))


def test_no_builtin_of_an_op_is_defined_outside_the_table():
    for name in PRIMITIVES:
        if name in OPS:
            assert OPS[name].builtin is not None, f"`{name}` is an op: declare it in its spec"
    assert set(PRIMITIVES) - set(BUILTIN_OPS) == set(LANGUAGE_FUNCTIONS)


def test_nodes_of_an_op_are_added_by_its_builtin(monkeypatch):
    """Every reference example runs; a built-in may add nodes of its own op only, a
    language function those listed above."""
    made: dict[str, set[str]] = {}
    original = CallContext.node

    def node(self, op, *args, **kwargs):
        made.setdefault(self.func, set()).add(op)
        return original(self, op, *args, **kwargs)

    monkeypatch.setattr(CallContext, "node", node)
    reference.op_entries()
    assert set(BUILTIN_OPS) <= set(made)
    for func, ops in made.items():
        if func in PRIMITIVES:
            assert ops <= LANGUAGE_FUNCTIONS.get(func, {func}), func
