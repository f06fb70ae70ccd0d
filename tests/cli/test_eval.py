"""`evaluate` and `mgdsl eval`: the paper's metrics, eval.json, tables, attention figures, errors."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
import torch
from train_fakes import FakeClsTask, FakeSegTask, cls_net, seg_net

import mgdsl.train.build as build
from mgdsl.cli.main import main
from mgdsl.train.evaluate import evaluate

pytestmark = pytest.mark.torch  # imports torch


def notebook_metrics(preds: np.ndarray, targets: np.ndarray) -> tuple[float, float]:
    """The paper notebook's mean IoU and mean error (Tables 2-3), written out in numpy."""
    pred = preds >= 0.5
    label = targets >= 0.5
    ious, accs = [], []
    for c in range(pred.shape[1]):
        p, lab = pred[:, c], label[:, c]
        tp = np.sum(p & lab)
        wrong = np.sum(p != lab)
        ious.append(tp / (tp + wrong))
        accs.append(tp / np.sum(p))
    return float(np.mean(ious)), float(1 - np.mean(accs))


def test_segmentation_metrics_match_the_notebook():
    conv = torch.nn.Conv2d(1, 2, 1)
    with torch.no_grad():  # imperfect detectors of bright and dark pixels: TP, FP and FN all > 0
        conv.weight.copy_(torch.tensor([4.0, -4.0]).view(2, 1, 1, 1))
        conv.bias.copy_(torch.tensor([-1.5, 2.5]))
    net, task = torch.nn.Sequential(conv, torch.nn.Sigmoid()), FakeSegTask(test_size=40)
    results = evaluate(net, task, batch_size=16)
    xs, ys = zip(*task.test_batches(40), strict=True)
    with torch.no_grad():
        preds = net.eval()(torch.cat(xs)).numpy()
    iou, err = notebook_metrics(preds, torch.cat(ys).numpy())
    assert 0.2 < iou < 0.95 and 0.02 < err < 0.8
    assert results["mean_iou"] == pytest.approx(iou, abs=1e-12)
    assert results["mean_error"] == pytest.approx(err, abs=1e-12)
    assert results["samples"] == 40 and results["loss"] > 0


def test_classification_top1_top5_and_limit():
    net, task = cls_net(), FakeClsTask()
    net.train()
    results = evaluate(net, task, batch_size=16, limit=25)
    assert results["samples"] == 25 == results["count"]
    xs, ys = zip(*task.test_batches(25), strict=True)
    with torch.no_grad():
        logits = net.eval()(torch.cat(xs)[:25])
    top1 = float((logits.argmax(1) != torch.cat(ys)[:25]).float().mean())
    assert results["top1_error"] == pytest.approx(top1)
    assert results["top5_error"] == 0.0  # 3 classes: the true one is always in the top 5
    net.train()
    evaluate(net, task, batch_size=16, limit=4)
    assert net.training  # the mode is restored


@pytest.fixture
def trained(tmp_path, monkeypatch):
    """A finished fake run: builders patched to the fakes, checkpoint in tmp_path/run."""
    state = {"net": seg_net, "task": lambda: FakeSegTask(test_size=24)}
    monkeypatch.setattr(build, "load_network", lambda *a, **kw: nx.DiGraph(name="tiny"))
    monkeypatch.setattr(build, "build_model", lambda ir, task=None: (state["net"](), False))
    monkeypatch.setattr(build, "build_task", lambda name, **kw: state["task"]())
    out = tmp_path / "run"
    assert main(["train", "tiny", "--task", "mnist-seg", "--set", "w=3", "--epochs", "1",
                 "--iters-per-epoch", "6", "--batch-size", "8", "--out", str(out), "--quiet"]) == 0
    state["out"] = out
    return state


def test_eval_prints_a_table_and_writes_json(trained, capsys):
    out = trained["out"]
    assert main(["eval", "--checkpoint", str(out / "checkpoint.pt"), "--limit", "16"]) == 0
    text = capsys.readouterr().out
    assert "mean_iou" in text and "mean_error" in text and "tiny on mnist-seg (step 6)" in text
    record = json.loads((out / "eval.json").read_text())
    assert record["model"] == {"target": "tiny", "params": {"w": 3}, "network": None}
    assert record["task"] == "mnist-seg" and record["step"] == 6
    assert record["results"]["samples"] == 16 and len(record["results"]["iou"]) == 2
    assert main(["eval", "--checkpoint", str(out / "checkpoint.pt"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"]["samples"] == 24


def test_eval_attention_writes_figures(trained, tmp_path, capsys):
    figs = tmp_path / "figs"
    args = ["eval", "--checkpoint", str(trained["out"] / "checkpoint.pt"), "--attention",
            "--samples", "0,2", "--out", str(figs)]
    assert main(args) == 0, capsys.readouterr().err
    for name in ("eval.json", "examples.png", "attention-0.png", "attention-2.png"):
        assert (figs / name).is_file(), name
        if name.endswith(".png"):
            assert (figs / name).read_bytes()[:4] == b"\x89PNG"


def test_eval_errors_are_clear(trained, tmp_path, capsys):
    assert main(["eval", "--checkpoint", str(tmp_path / "missing.pt")]) == 1
    assert "error[E601]" in capsys.readouterr().err
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    assert main(["eval", "--checkpoint", str(junk)]) == 1
    assert "error[E606]" in capsys.readouterr().err
    torch.save({"weights": torch.zeros(1)}, tmp_path / "other.pt")
    assert main(["eval", "--checkpoint", str(tmp_path / "other.pt")]) == 1
    assert "not an mgdsl checkpoint" in capsys.readouterr().err
    ckpt = str(trained["out"] / "checkpoint.pt")
    trained["net"] = cls_net  # another network than the one trained
    assert main(["eval", "--checkpoint", ckpt]) == 1
    assert "error[E802]" in capsys.readouterr().err
    trained["net"], trained["task"] = seg_net, FakeSegTask
    assert main(["eval", "--checkpoint", ckpt, "--attention", "--samples", "999"]) == 1
    assert "outside the test set" in capsys.readouterr().err
    trained["net"], trained["task"] = cls_net, FakeClsTask
    assert main(["eval", "--checkpoint", ckpt, "--task", "cifar100", "--attention"]) == 1
    assert "E80" in capsys.readouterr().err
    assert main(["eval"]) == 1
    assert "which checkpoint" in capsys.readouterr().err


TINY_IMAGENET = '''use "std.mg"
network TinyImageNet(classes = 2) {
    input image: 3 x 224 x 224
    p = relu(bn(conv(image, 4, 7, stride = 8, pad = 3)))
    output logits = linear(flatten(gap(p)), classes)
}
'''


def test_eval_ten_crop_on_an_image_folder(tmp_path, capsys):
    from tests.data.test_imagenet import fake_folder

    data = fake_folder(tmp_path / "imagenet")
    net = tmp_path / "tiny.mg"
    net.write_text(TINY_IMAGENET, encoding="utf-8")
    out = tmp_path / "run"
    assert main(["train", str(net), "--task", "imagenet", "--data-dir", str(data), "--epochs", "1",
                 "--iters-per-epoch", "2", "--batch-size", "2", "--out", str(out),
                 "--quiet"]) == 0, capsys.readouterr().err
    ckpt = str(out / "checkpoint.pt")
    for flags in ([], ["--ten-crop"]):
        assert main(["eval", "--checkpoint", ckpt, "--data-dir", str(data), "--json",
                     "--out", str(tmp_path / "eval"), *flags]) == 0, capsys.readouterr().err
        record = json.loads(capsys.readouterr().out)
        assert record["ten_crop"] is bool(flags) and record["results"]["samples"] == 4
    assert main(["eval", "PMG-11-seg", "--checkpoint", ckpt, "--task", "mnist-seg", "--ten-crop"]) == 1
    assert "ten-crop testing is for ImageNet" in capsys.readouterr().err


def test_eval_parses_set_like_every_command(trained, monkeypatch, capsys):
    """`--set` lists, booleans and numbers reach the network loader as values, not strings."""
    seen = {}

    def capture(target, params, network=None, task=None):
        seen.update(target=target, params=params, task=task)
        return nx.DiGraph(name="tiny")

    monkeypatch.setattr(build, "load_network", capture)
    ckpt = str(trained["out"] / "checkpoint.pt")
    assert main(["eval", "--checkpoint", ckpt, "--set", "units=[2,2,2,2]", "--set", "bias=false",
                 "--limit", "8"]) == 0, capsys.readouterr().err
    assert seen == {"target": "tiny", "params": {"w": 3, "units": (2, 2, 2, 2), "bias": False},
                    "task": "mnist-seg"}
    assert main(["eval", "--checkpoint", ckpt, "--set", "units=[2,2"]) == 1
    err = capsys.readouterr().err
    assert "error[E411]: `--set units=[2,2`" in err and "<command line>:1:" in err
