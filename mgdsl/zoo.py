"""The paper's model zoo: every network of Tables 1–4 by its paper name.

One registry maps each name (``MG-16``, ``R-PMG-sm-30``, ``PMG-11-seg``, ``R-PMG-20-spt``,
``R-MG-34``, ...) to a `.mg` file in ``architectures/`` (installed as the package
``mgdsl.architectures``), the network in it and its parameters, together with the numbers
the paper prints and, where the paper's numbers disagree with its structure, a note saying so.
The CLI (``mgdsl zoo``, and every verb that takes FILE|NAME), the Python API
(``mgdsl.load("MG-16")``) and the tests are all driven by `ENTRIES`.

>>> lookup("mg-16").params
(('n', 3), ('w', 64))
>>> lookup("PMG-11-seg").file
'pmg-mnist.mg'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from mgdsl.data.registry import TASKS
from mgdsl.errors import MgNameError, did_you_mean

__all__ = ["ZooEntry", "ENTRIES", "ALIASES", "TABLES", "lookup", "names", "architectures_dir"]

# the title of each table of the paper, for listings: one table per task
TABLES = {spec.table: f"Table {spec.table}: {spec.title}"
          for spec in sorted(TASKS.values(), key=lambda spec: spec.table)}


def architectures_dir() -> Path:
    """The folder of the zoo's `.mg` files, from an editable or a regular install."""
    return Path(str(resources.files("mgdsl.architectures")))


@dataclass(frozen=True)
class ZooEntry:
    """One network of the paper: where it is written and what the paper prints for it.

    `file` is relative to `architectures_dir()`; `network` picks a network in a file with
    several (None when the file has one); `params` are the network-parameter overrides as
    ``(name, value)`` pairs; `task` is the name of a task of `mgdsl.data.registry.TASKS`,
    whose paper table ("1".."4") is the entry's `table`; `paper_params` is the Params column
    in millions and `paper_flops` the FLOPs column with its unit ("67.88M", "5.76G"), both
    as printed ("" where the paper prints none); `note` explains a known discrepancy
    between the paper's numbers and the structure ("" if none).
    """

    name: str
    file: str
    network: str | None
    params: tuple[tuple[str, Any], ...]
    family: str
    task: str
    paper_params: str
    paper_flops: str
    note: str = ""

    @property
    def table(self) -> str:
        """The paper's table that prints this entry: the one of its task."""
        return TASKS[self.task].table

    @property
    def path(self) -> Path:
        """The absolute path of the entry's `.mg` file."""
        return architectures_dir() / self.file

    @property
    def paper_params_count(self) -> float | None:
        """The paper's parameter count as a number (None where it prints none)."""
        return float(self.paper_params) * 1e6 if self.paper_params else None

    @property
    def paper_macs(self) -> float | None:
        """The paper's FLOPs column (multiply-accumulates) as a number, or None."""
        if not self.paper_flops:
            return None
        scale = {"M": 1e6, "G": 1e9}[self.paper_flops[-1]]
        return float(self.paper_flops[:-1]) * scale


# ------------------------------------------------------------------------- discrepancies

NOTE_MG_FLOPS = ("the paper's FLOPs are 0.1-0.84% below this structure's MACs for the "
                 "full-width MG and R-MG rows while the parameters match exactly; the cause "
                 "is unknown and mgdsl follows the structure")
NOTE_PMG_30 = ("the paper labels this row \"30\", but its numbers are those of n = 3, which is "
               "23 layers deep (depth 7n + 2); built with n = 3")
NOTE_VGG_6 = "3,965,028 parameters round to 3.97 M; the paper prints 3.96"
NOTE_RES_12 = "the structure gives 266.06 M MACs; the paper prints 266.02"
NOTE_RMG_SM_22 = "397.1158 M MACs round to 397.12; the paper prints 397.11"
NOTE_SPT = ("Table 3 repeats Table 2's parameter counts (10-map head); the 1-map head has "
            "fewer")
NOTE_UMG_SPT = ("not a row of the paper's Table 3: U-MG-11 with the 1-map head, "
                "for completeness")
NOTE_SEG_FLOPS = ("the published structure needs 9.52 G MACs; the paper's 2.77 G cannot be "
                  "reproduced (its parameters match)")


# ------------------------------------------------------------------------------ entries


def _cifar(family: str, file: str, depth: tuple[int, int], w: int, rows: list[tuple[str, str]],
           notes: dict[int, str] | None = None, labels: dict[int, str] | None = None,
           ) -> list[ZooEntry]:
    """The Table 1 rows of one family for n = 1, 2, ...: `rows` holds the printed (params,
    FLOPs) per n, the name carries the depth a * n + b (or `labels[n]`, as printed)."""
    out = []
    for n, (params, flops) in enumerate(rows, start=1):
        label = (labels or {}).get(n, str(depth[0] * n + depth[1]))
        out.append(ZooEntry(f"{family}-{label}", file, None, (("n", n), ("w", w)), family,
                            "cifar100", params, f"{flops}M", (notes or {}).get(n, "")))
    return out


def _mnist(name: str, family: str, file: str, seg: str, spt: str,
           spt_note: str = "") -> tuple[ZooEntry, ZooEntry]:
    """The segmentation (Table 2) and spatial-transformation (Table 3) entries of a model."""
    return (ZooEntry(f"{name}-seg", file, None, (("classes", 10),), family, "mnist-seg",
                     seg, ""),
            ZooEntry(f"{name}-spt", file, None, (("classes", 1),), family, "mnist-spt",
                     spt, "", spt_note))


_MG_FULL = dict.fromkeys((1, 2, 3, 4), NOTE_MG_FLOPS)
_PMG_30 = {"notes": {3: NOTE_PMG_30}, "labels": {3: "30"}}

_UNET = _mnist("U-NET-11", "U-NET", "unet.mg", "3.79", "3.79")
_UMG = _mnist("U-MG-11", "U-MG", "umg.mg", "5.90", "", NOTE_UMG_SPT)
_SG = _mnist("SG-11", "SG", "sg.mg", "0.23", "0.23", NOTE_SPT)
_RSG = _mnist("R-SG-20", "R-SG", "rsg.mg", "0.45", "0.45")
_PMG = _mnist("PMG-11", "PMG", "pmg-mnist.mg", "0.61", "0.61", NOTE_SPT)
_RPMG = _mnist("R-PMG-20", "R-PMG", "rpmg-mnist.mg", "1.20", "1.20")

ENTRIES: tuple[ZooEntry, ...] = (
    *_cifar("VGG", "vgg.mg", (5, 1), 64,
            [("3.96", "67.88"), ("9.46", "228.31"), ("14.96", "388.75"), ("20.46", "549.18")],
            {1: NOTE_VGG_6}),
    *_cifar("MG-sm", "mg.mg", (5, 1), 40,
            [("3.28", "46.10"), ("8.02", "154.60"), ("12.75", "263.10"), ("17.49", "371.60")]),
    *_cifar("MG", "mg.mg", (5, 1), 64,
            [("8.34", "116.63"), ("20.46", "391.88"), ("32.58", "667.13"), ("44.69", "942.38")],
            _MG_FULL),
    *_cifar("PMG-sm", "pmg.mg", (7, 2), 40,
            [("3.33", "73.23"), ("8.07", "183.34"), ("12.82", "293.46")], **_PMG_30),
    *_cifar("PMG", "pmg.mg", (7, 2), 64,
            [("8.46", "186.21"), ("20.60", "468.09"), ("32.74", "749.98")], **_PMG_30),
    *_cifar("RES", "res.mg", (10, 2), 64,
            [("9.50", "266.02"), ("20.49", "586.93"), ("31.49", "907.79"), ("42.48", "1228.65")],
            {1: NOTE_RES_12}),
    *_cifar("R-MG-sm", "rmg.mg", (10, 2), 40,
            [("8.06", "180.12"), ("17.52", "397.11"), ("26.99", "614.11"), ("36.46", "831.11")],
            {2: NOTE_RMG_SM_22}),
    *_cifar("R-MG", "rmg.mg", (10, 2), 64,
            [("20.56", "457.20"), ("44.79", "1007.70"), ("69.02", "1558.20"),
             ("93.26", "2108.71")], _MG_FULL),
    *_cifar("R-PMG-sm", "rpmg.mg", (14, 2), 40,
            [("8.07", "183.34"), ("17.56", "403.57"), ("27.05", "623.79")]),
    *_cifar("R-PMG", "rpmg.mg", (14, 2), 64,
            [("20.60", "468.09"), ("44.88", "1031.87"), ("69.16", "1595.64")]),
    _UNET[0], _UMG[0], _SG[0], _RSG[0], _PMG[0], _RPMG[0],
    _UNET[1], _SG[1], _RSG[1], _PMG[1], _RPMG[1], _UMG[1],
    ZooEntry("R-MG-34", "rmg-imagenet.mg", None, (("units", (3, 4, 6, 3)),), "R-MG",
             "imagenet", "32.9", "5.76G"),
    ZooEntry("R-PMG-30-SEG", "rpmg-seg.mg", None, (("n", 2),), "R-PMG-SEG", "imagenet",
             "31.9", "2.77G", NOTE_SEG_FLOPS),
)

# other spellings that resolve to an entry: the PMG "30" rows are 23 layers deep
ALIASES = {"PMG-23": "PMG-30", "PMG-sm-23": "PMG-sm-30"}


# ------------------------------------------------------------------------------- lookup


def _key(name: str) -> str:
    """Case-insensitive key; spaces and underscores count as hyphens (CSV "PMG-11 seg")."""
    return re.sub(r"[\s_]+", "-", name.strip()).lower()


_BY_KEY: dict[str, ZooEntry] = {_key(e.name): e for e in ENTRIES}
_BY_KEY.update({_key(alias): _BY_KEY[_key(target)] for alias, target in ALIASES.items()})
_DISPLAY = {_key(e.name): e.name for e in ENTRIES} | {_key(a): a for a in ALIASES}


def names() -> list[str]:
    """Every registry name, in table order."""
    return [e.name for e in ENTRIES]


def lookup(name: str) -> ZooEntry:
    """The entry called `name` (case-insensitive); an unknown name is an `MgNameError`
    (E220) with a did-you-mean hint.

    >>> lookup("r-pmg-20-SPT").name
    'R-PMG-20-spt'
    """
    key = _key(name)
    entry = _BY_KEY.get(key)
    if entry is not None:
        return entry
    variants = [e.name for e in ENTRIES if _key(e.name).startswith(key + "-")]
    if variants:  # "PMG-11" -> "PMG-11-seg" or "PMG-11-spt"
        hint = "did you mean " + " or ".join(f"`{v}`" for v in variants) + "?"
    else:
        hint = did_you_mean(key, _DISPLAY)
        if hint:
            hint = re.sub(r"`([^`]+)`", lambda m: f"`{_DISPLAY[m.group(1)]}`", hint)
    raise MgNameError(f"`{name}` is neither a .mg file nor a model of the zoo", code="E220",
                      hint=hint or "`mgdsl zoo` lists the models; files end in `.mg`")
