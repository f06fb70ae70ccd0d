"""The optimiser of a run and the output prior: `build_optimizer`, `set_output_prior`.

SGD with momentum 0.9, no dampening, no Nesterov and weight decay on every parameter is the
paper's; AdamW (decoupled weight decay) is an option for short runs. `set_output_prior` sets
the bias of the layer that feeds each output sigmoid to ``logit(P)``, so that the network
starts out predicting the base rate ``P`` instead of 0.5 everywhere — not the paper's
initialisation, but what lets a short run spend its steps on the digits rather than on
learning that most pixels are background.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

from mgdsl.train.config import TrainConfig
from mgdsl.train.errors import TrainError
from mgdsl.train.settings import setting

__all__ = ["build_optimizer", "set_output_prior", "output_bias_modules"]


def build_optimizer(params: Iterable[torch.nn.Parameter], config: TrainConfig, *,
                    capturable: bool = False) -> torch.optim.Optimizer:
    """The optimiser `config.optimizer` names, at `config.lr` with `config.weight_decay`.

    `capturable` keeps the optimiser's step counters on the device, which CUDA-graph capture
    of `step()` needs.
    """
    extra = {"capturable": True} if capturable else {}
    if config.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay, **extra)
    return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, dampening=0.0,
                           weight_decay=config.weight_decay, nesterov=False)


def _sources(graph: torch.fx.Graph) -> list[torch.fx.Node]:
    """The nodes the graph's output returns (one, or the members of a tuple or list)."""
    out = next(n for n in graph.nodes if n.op == "output")
    value = out.args[0]
    return list(value) if isinstance(value, (tuple, list)) else [value]


def _is_sigmoid(node: torch.fx.Node) -> bool:
    target = node.target
    name = getattr(target, "__name__", str(target))
    return node.op in ("call_function", "call_method") and name == "sigmoid"


def output_bias_modules(model: torch.fx.GraphModule) -> list[str]:
    """Names of the submodules whose bias sets each sigmoid output's pre-activation.

    For every output that is a sigmoid, walk back from its argument through
    single-argument nodes to the first module with a bias (the output BN of ``cb``, or a
    biased conv or linear). Raises TrainError when an output is not a sigmoid of such a
    module, since a prior then means nothing.
    """
    if not isinstance(model, torch.fx.GraphModule):
        raise TrainError("--output-prior needs a compiled mgdsl network (a torch.fx.GraphModule)")
    names = []
    for node in _sources(model.graph):
        if not isinstance(node, torch.fx.Node) or not _is_sigmoid(node):
            raise TrainError(
                "--output-prior needs a network whose outputs are sigmoids",
                hint="drop --output-prior, or end the network with `sigmoid(...)`",
            )
        current = node.args[0]
        while isinstance(current, torch.fx.Node):
            if current.op == "call_module":
                module = model.get_submodule(str(current.target))
                if getattr(module, "bias", None) is not None:
                    names.append(str(current.target))
                    break
            inputs = [a for a in current.args if isinstance(a, torch.fx.Node)]
            if len(inputs) != 1:
                current = None
                break
            current = inputs[0]
        if current is None or not isinstance(current, torch.fx.Node):
            raise TrainError(
                "--output-prior found no biased layer (BN, conv or linear) before an output sigmoid",
                hint="drop --output-prior for this network",
            )
    return names


def set_output_prior(model: torch.fx.GraphModule, prior: float) -> list[str]:
    """Set the bias of every `output_bias_modules` layer to ``logit(prior)``; returns their names.

    Behind a BN (as in every MNIST network of the zoo) the sigmoid's input has mean
    ``logit(prior)`` over each batch in training mode, so its median output is `prior`.
    """
    problem = setting("output_prior").problem(prior)  # the check of --output-prior
    if problem:
        raise TrainError(f"output prior {problem}")
    names = output_bias_modules(model)
    logit = math.log(prior / (1 - prior))
    with torch.no_grad():
        for name in names:
            model.get_submodule(name).bias.fill_(logit)
    return names
