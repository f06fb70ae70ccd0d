"""The torch-free task registry (`mgdsl.data.registry`) and the check of a network against a
task before any torch work (`mgdsl.train.build.check_fits`)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from paths import ROOT

import mgdsl
from mgdsl.cli.main import main
from mgdsl.data.errors import DataError
from mgdsl.data.registry import TASK_NAMES, TASKS, fit_problem, task_spec
from mgdsl.errors import MgError
from mgdsl.train.build import check_fits
from mgdsl.train.config import paper_config
from mgdsl.zoo import ENTRIES, TABLES

SMALL = '''use "std.mg"
network Small(c = 8, classes = 10) {{
    input image: {shape}
    p = stems(image, [c, c / 2], levels = 2)
    p = mgcbr(p, [c, c])
    output y = sigmoid(cb(p[0], classes))
}}
'''


def small(shape: str = "1 x 64 x 64", **params) -> object:
    return mgdsl.build_graph(SMALL.format(shape=shape), **params)


def test_registry_is_torch_free_and_complete():
    code = ("import sys, mgdsl.data.registry, mgdsl.train.build, mgdsl.zoo; "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    assert TASK_NAMES == ("mnist-seg", "mnist-spt", "cifar100", "imagenet")
    for spec in TASKS.values():
        assert spec.kind in ("segmentation", "classification")
        rank = 3 if spec.kind == "segmentation" else 1
        assert len(spec.output_shape) == rank and len(spec.input_shape) == 3
        assert spec.needs_data_dir == (spec.paper_sizes is None)


def test_every_zoo_network_fits_its_task():
    """The zoo's networks are the registry's reference: each takes and gives its task's shapes."""
    for entry in ENTRIES:
        spec = task_spec(entry.task)
        ir = mgdsl.api.zoo_graph(entry)
        (i,), (o,) = ir.graph["inputs"].values(), ir.graph["outputs"].values()
        assert fit_problem(spec, ir.nodes[i].shape, ir.nodes[o].shape) is None, entry.name
        assert TABLES[entry.table].startswith(f"Table {spec.table}: ")


def test_config_and_schedules_read_the_registry():
    for name, spec in TASKS.items():
        for residual in (False, True):
            config = paper_config(name, residual=residual)
            d = spec.defaults
            assert (config.batch_size, config.iters_per_epoch, config.epochs,
                    config.weight_decay) == (d.batch_size, d.iters_per_epoch, d.epochs,
                                             d.weight_decay)
            assert config.lr_rule == spec.lr_rule(residual)


def test_unknown_task_has_a_did_you_mean():
    with pytest.raises(DataError) as info:
        task_spec("cifar10")
    assert info.value.code == "E702" and "cifar100" in info.value.hint


@pytest.mark.torch
def test_task_objects_agree_with_the_registry():
    from mgdsl.data.tasks import make_task

    for name in ("mnist-seg", "mnist-spt"):
        task, spec = make_task(name, train_size=2, test_size=2), task_spec(name)
        assert (task.kind, task.input_shape, task.num_outputs) == (
            spec.kind, spec.input_shape, spec.num_outputs)


@pytest.mark.parametrize("shape, params, task, words", [
    ("1 x 28 x 28", {}, "mnist-seg", ["input is 1x28x28", "feeds 1x64x64 images"]),
    ("1 x 64 x 64", {"classes": 3}, "mnist-seg", ["output is 3x64x64", "needs 10x64x64"]),
    ("1 x 64 x 64", {"classes": 10}, "mnist-spt", ["output is 10x64x64", "needs 1x64x64"]),
    ("1 x 64 x 64", {}, "cifar100", ["input is 1x64x64", "feeds 3x32x32 images"]),
])
def test_mismatches_name_both_shapes(shape, params, task, words):
    with pytest.raises(MgError) as info:
        check_fits(small(shape, **params), task)
    assert info.value.code == "E711" and info.value.span is not None
    for word in words:
        assert word in info.value.message


def test_fitting_networks_pass_and_data_sets_the_class_count():
    check_fits(small(), "mnist-seg")
    check_fits(small(classes=1), "mnist-spt")
    classifier = mgdsl.build_graph('''use "std.mg"
network C(classes = 1000) {
    input image: 3 x 224 x 224
    p = relu(bn(conv(image, 4, 7, stride = 8, pad = 3)))
    output logits = linear(flatten(gap(p)), classes)
}''', classes=2)
    check_fits(classifier, "imagenet")  # the class count comes from the ImageNet folder ...
    check_fits(classifier, "imagenet", classes=2)
    with pytest.raises(MgError, match="output is 2 but task `imagenet` needs 5"):
        check_fits(classifier, "imagenet", classes=5)  # ... and must then match it


def test_train_reports_a_mismatch_before_torch(tmp_path):
    net = tmp_path / "small28.mg"
    net.write_text(SMALL.format(shape="1 x 28 x 28"), encoding="utf-8")
    code = ("import sys\nfrom mgdsl.cli.main import main\n"
            f"rc = main(['train', {str(net)!r}, '--task', 'mnist-seg'])\n"
            "assert rc == 1 and 'torch' not in sys.modules, (rc, 'torch' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert f"{net}:3:5: error[E711]: network `Small` does not fit task `mnist-seg`" in proc.stderr
    assert "1x28x28" in proc.stderr and "1x64x64" in proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr


def test_train_hint_names_the_fitting_task(capsys):
    assert main(["train", "MG-16", "--task", "mnist-seg"]) == 1
    err = capsys.readouterr().err
    assert "input is 3x32x32" in err and "hint: tasks with 3x32x32 images: cifar100" in err
