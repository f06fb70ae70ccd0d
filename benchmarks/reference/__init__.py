"""Hand-written eager PyTorch reference implementations of paper-zoo networks.

These are deliberately plain `nn.Module`s (the way a PyTorch user would write the
networks of Ke, Maire & Yu, CVPR 2017, from `shared/spec/paper-zoo.md`). They serve as the
baseline that mgdsl-compiled `torch.fx.GraphModule`s are compared against, both for exact
parameter / MAC counts and for step-time benchmarks.
"""

from benchmarks.reference.mg import mg_cifar
from benchmarks.reference.pmg_mnist import pmg_mnist
from benchmarks.reference.rpmg_mnist import rpmg_mnist
from benchmarks.reference.unet import unet

__all__ = ["mg_cifar", "pmg_mnist", "rpmg_mnist", "unet"]
