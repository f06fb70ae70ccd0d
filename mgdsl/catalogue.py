"""The catalogue of diagnostic codes: one entry per code, the single source of their meaning.

Every `MgError` code (``E…``) and warning code (``W…``) raised anywhere in mgdsl has exactly
one `Entry` here: a one-line title, a paragraph of explanation, a minimal wrong example and
its fix. `mgdsl explain CODE` prints an entry, `mgdsl explain` lists them all, and
`docs/errors.md` is generated from this table (`mgdsl explain --markdown`). Tests check that
every code literal in the source is catalogued and that every entry is produced by a golden
error file (see tests/golden/errors/README.md).

Code families: E1xx syntax, E2xx names, E3xx shapes, E4xx values and arguments, E5xx limits,
E6xx files (E610–E619 operating-system failures, see `mgdsl.oserrors`), E7xx data, E8xx
training and evaluation, E9xx diagrams and editors, W1xx warnings. Blocks reserved for new codes: E120–E129 and E440–E459 language, E320–E339 and
E420–E439 ops, E710–E729 house, E810–E829 training, E900–E919 diagrams, E930–E959 editors;
the original render errors live at E960–E964.

A code is never reused: when a meaning moves to another code, the old one gets a `Retired`
record in `RETIRED` (what it meant, which code means it now, when it moved), and a code
whose every meaning has moved (`RETIRED_CODES`) is never given a new one; `mgdsl explain OLD`
says what replaced it. Tests keep both rules.

>>> lookup("E302").title
'grid resolutions do not line up'
>>> lookup("e302").code
'E302'
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from mgdsl.errors import MgNameError, did_you_mean

__all__ = ["Entry", "ENTRIES", "CATALOGUE", "Retired", "RETIRED", "RETIRED_CODES",
           "SHARED_BEFORE_THE_CATALOGUE", "lookup", "retirements", "retirement_problems", "explain", "listing", "markdown"]


@dataclass(frozen=True)
class Entry:
    """One diagnostic code: what it means, a minimal wrong example and the fix."""

    code: str
    title: str
    explanation: str
    wrong: str
    fix: str

    @property
    def kind(self) -> str:
        """`error` for E codes, `warning` for W codes."""
        return "warning" if self.code.startswith("W") else "error"


def _e(code: str, title: str, explanation: str, wrong: str, fix: str) -> Entry:
    return Entry(code, title, " ".join(explanation.split()), wrong.strip("\n"), fix.strip("\n"))


ENTRIES: tuple[Entry, ...] = (
    # ------------------------------------------------------------------ E1xx syntax
    _e("E100", "unexpected token",
       """The parser met a word, number or symbol that cannot stand at this point of the
       grammar, and the mistake is not one of the common ones with a message of their own
       (E102). The hint lists the tokens that could legally come here.""",
       "network N() {\n    input x: 1 x 8 x 8\n    output y = relu(x) )\n}",
       "network N() {\n    input x: 1 x 8 x 8\n    output y = relu(x)\n}"),
    _e("E101", "unexpected character",
       """A character that is no part of the language: mgdsl has double-quoted strings,
       names, numbers, brackets and the operators `+ - * / //` only. A single quote or a
       C-like operator such as `%` or `&` is rejected where it stands.""",
       "network N() {\n    input x: 1 x 8 x 8\n    output y = relu(x) % 2\n}",
       "network N() {\n    input x: 1 x 8 x 8\n    output y = relu(x)\n}"),
    _e("E102", "a common syntax mistake",
       """The text matches one of the known syntax mistakes (a missing `=`, an unclosed
       bracket or body, a malformed `input` shape, a statement at the top level, ...). The
       message names the mistake, a note lists the tokens that could legally come, and the
       hint shows the right form.""",
       "network N() {\n    input x: 1 x 8 x 8\n    output y = relu(x)",
       "network N() {\n    input x: 1 x 8 x 8\n    output y = relu(x)\n}"),
    _e("E103", "a keyword used as a name",
       """`use`, `block`, `network`, `repeat`, `section`, `input`, `output`, `return` and
       `default` are keywords of the language and cannot name a variable, parameter, block
       or network.""",
       "network N() {\n    input image: 1 x 8 x 8\n    section = relu(image)\n"
       "    output y = section\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    stage = relu(image)\n"
       "    output y = stage\n}"),
    # ------------------------------------------------------------------ E2xx names
    _e("E200", "unknown name",
       """A variable is read before anything assigned it. Names are assigned by `=`,
       declared by `input`, or are parameters of the enclosing block or network. The hint
       suggests a close spelling.""",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = relu(imgae)\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = relu(image)\n}"),
    _e("E201", "unknown function or op",
       """The name called is neither a built-in op nor a block defined in this file or a
       file it `use`s. Blocks of the standard library need `use \"std.mg\"`.""",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = rellu(image)\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = relu(image)\n}"),
    _e("E202", "unknown argument or parameter",
       """A keyword argument, a `default op.arg` or a `--set NAME=...` names a parameter
       that the op, block or network does not have.""",
       "network N(width = 8) {\n    input image: 1 x 8 x 8\n    output y = conv(image, width, "
       "kernal=3)\n}",
       "network N(width = 8) {\n    input image: 1 x 8 x 8\n    output y = conv(image, width, "
       "k=3)\n}"),
    _e("E203", "a network parameter without a value",
       """A parameter of the network has no default and no value was given with
       `--set NAME=...` (or the `overrides` of the Python API).""",
       "network N(width) {\n    input image: 1 x 8 x 8\n    output y = conv(image, width)\n}",
       "network N(width = 16) {\n    input image: 1 x 8 x 8\n    output y = conv(image, width)\n}"),
    _e("E206", "defined twice",
       """A block, network, input, output or section name is declared twice in the same
       scope. Each must be unique so that results and parameters have one name.""",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = relu(image)\n"
       "    output y = image\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = relu(image)\n"
       "    output z = image\n}"),
    _e("E207", "a block named like a built-in op",
       """A block may not take the name of a built-in op such as `conv` or `relu`: every
       call of that name would be ambiguous.""",
       "block relu(p) { return p }",
       "block my_relu(p) { return p }"),
    _e("E208", "a statement in the wrong place",
       """`return` belongs at the end of a block (not in a network, not inside `repeat`,
       and nothing may follow it); `input` and `output` belong in a network.""",
       "block b(p) {\n    return p\n    q = p\n}\nnetwork N() {\n    input image: 1 x 8 x 8\n    output y = b(image)\n}",
       "block b(p) {\n    q = p\n    return q\n}\nnetwork N() {\n    input image: 1 x 8 x 8\n    output y = b(image)\n}"),
    _e("E209", "a recursive block",
       """A block calls itself, directly or through other blocks. Block calls are expanded
       at compile time, so recursion would never end; repeat a layer with `repeat N { ... }`
       instead.""",
       "block b(p) { return b(p) }\nnetwork N() {\n    input image: 1 x 8 x 8\n    output y = b(image)\n}",
       "block b(p) {\n    repeat 2 { p = relu(p) }\n    return p\n}\nnetwork N() {\n    input image: 1 x 8 x 8\n    output y = b(image)\n}"),
    _e("E210", "the file defines no network",
       """Only a `network` can be checked, drawn, compiled or trained; a file of blocks alone
       is a library to `use` from another file.""",
       "# blocks.mg, given to `mgdsl stats blocks.mg`\nblock b(p) { return relu(p) }",
       "block b(p) { return relu(p) }\nnetwork N() {\n    input image: 1 x 8 x 8\n"
       "    output y = b(image)\n}"),
    _e("E211", "which network?",
       """The file defines several networks and none was chosen, or the one asked for with
       `--network NAME` does not exist. Pass `--network NAME`; the hint lists the names.""",
       "mgdsl check two.mg          # two.mg defines networks A and B",
       "mgdsl check two.mg --network A"),
    _e("E212", "a network without an output",
       """A network must name at least one result with `output NAME = ...`; without it there
       is nothing to compute. The error points at the network's header.""",
       "network N() {\n    input image: 1 x 8 x 8\n    y = relu(image)\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = relu(image)\n}"),
    _e("E213", "a network without an input",
       """A network must declare its input tensor with `input NAME: C x H x W`. The error
       points at the network's header.""",
       "network N() { }",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = relu(image)\n}"),
    _e("E220", "neither a file nor a zoo model",
       """A command was given a name that is not an existing `.mg` file and not a model of
       the zoo (`mgdsl zoo` lists them). The hint suggests close zoo names.""",
       "mgdsl stats PMG-11-sge",
       "mgdsl stats PMG-11-seg"),
    _e("E221", "unknown diagnostic code",
       """`mgdsl explain` was asked about a code that is not in the catalogue. Codes are a
       letter (E for errors, W for warnings) and three digits; `mgdsl explain` alone lists
       every code.""",
       "mgdsl explain E3002",
       "mgdsl explain E302"),
    # ------------------------------------------------------------------ E3xx shapes
    _e("E301", "channel counts do not fit",
       """Two grids that are added need the same number of channels, and a zero-padding
       projection can only add channels, never remove them.""",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = conv(image, 8) + "
       "conv(image, 16)\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = conv(image, 16) + "
       "conv(image, 16)\n}"),
    _e("E302", "grid resolutions do not line up",
       """A pyramid's grids must halve in size from level to level, grids that are added must
       have equal sizes, and an input cannot be pooled more times than its size allows.
       Use fewer levels or an input size divisible by 2^(levels-1).""",
       "network N() {\n    input image: 1 x 6 x 6\n    p = pyramid(image, 4)\n"
       "    output y = p[0]\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    p = pyramid(image, 4)\n"
       "    output y = p[0]\n}"),
    _e("E303", "pyramid levels differ",
       """Two pyramids that are added must cover the same levels, grid for grid.""",
       "network N() {\n    input image: 1 x 8 x 8\n    p = pyramid(image, 3)\n"
       "    output y = (p + p[0:2])[0]\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    p = pyramid(image, 3)\n"
       "    output y = (p + p)[0]\n}"),
    _e("E304", "a gap or mismatch in pyramid levels",
       """A pyramid covers consecutive levels: a concatenation may not leave a level out, and
       a slice assignment must replace grids level for level.""",
       "network N() {\n    input image: 1 x 8 x 8\n    p = pyramid(image, 3)\n"
       "    p[0:1] = p[1:2]\n    output y = p[0]\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    p = pyramid(image, 3)\n"
       "    p[0:1] = relu(p[0:1])\n    output y = p[0]\n}"),
    _e("E306", "a vector where a grid is needed (or the reverse)",
       """`flatten` turns a grid into a vector; after it, spatial ops (conv, pooling, ...)
       no longer apply, and `linear` takes a vector only. Flatten last.""",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = relu(linear(image, 10))\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = linear(flatten(image), 10)\n}"),
    _e("E307", "the wrong number of grids",
       """An op that works on one grid got a pyramid of several (or an output was given a
       pyramid), or two pyramids that must match in length do not. Pick one grid with
       `p[i]`.""",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = pyramid(image, 2)\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = pyramid(image, 2)[0]\n}"),
    _e("E308", "an index or slice out of range",
       """An index into a pyramid or list is past its end; indexes count from 0 and negative
       ones from the end.""",
       "network N() {\n    input image: 1 x 8 x 8\n    p = pyramid(image, 2)\n"
       "    output y = p[2]\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    p = pyramid(image, 2)\n"
       "    output y = p[1]\n}"),
    # ------------------------------------------------------------------ E4xx values
    _e("E320", "an op that cannot apply to a grid",
       """An op checked its arguments against the grid it is applied to and found they do
       not fit, for example `groupnorm` with a number of groups that does not divide the
       grid's channels. The message names the grid and the reason.""",
       "output y = groupnorm(x, 3)      # x has 8 channels",
       "output y = groupnorm(x, 4)"),
    _e("E321", "groups that do not divide the channels",
       """A grouped convolution splits the input and the output channels into `groups`
       equal parts, so `groups` must divide both. A depthwise convolution is
       `groups = ch` with `ch` the input's channels.""",
       "output y = conv(x, 6, 3, groups = 4)   # x has 8 channels",
       "output y = conv(x, 8, 3, groups = 4)"),
    _e("E322", "an output_padding not below the stride",
       """`output_padding` adds rows and columns to one side of a transposed convolution's
       output to pick among the sizes a strided convolution maps to the same input; it
       must be smaller than the stride (as in PyTorch).""",
       "output y = deconv(x, 4, 2, stride = 2, output_padding = 2)",
       "output y = deconv(x, 4, 2, stride = 2, output_padding = 1)"),
    _e("E323", "align_corners without bilinear upsampling",
       """`align_corners` changes how bilinear interpolation places its samples; nearest
       upsampling has no such choice.""",
       "output z = upsample(y, like = x, align_corners = true)",
       'output z = upsample(y, like = x, mode = "bilinear", align_corners = true)'),
    _e("E324", "an input size for an input the network does not have",
       """`mgdsl check --input NAME=CxHxW` and `mgdsl.load(..., inputs={NAME: ...})` check
       the network at another size of input NAME; NAME must be one of the network's
       `input` declarations.""",
       "mgdsl check seg.mg --input img=1x64x64      # the input is `image`",
       "mgdsl check seg.mg --input image=1x96x128"),
    _e("E325", "a malformed input size",
       """An input size is three positive integers, channels x height x width, written
       `3x96x128` on the command line or `(3, 96, 128)` in Python.""",
       "mgdsl check seg.mg --input image=1x64",
       "mgdsl check seg.mg --input image=1x64x64"),
    _e("E326", "a network tied to its declared input size",
       """Compiled modules contain no hard-coded spatial size, so a network runs at every
       input size at which it builds the same layers with the same channels. Checked at
       another size, this one builds different layers or a layer with other input
       features — typically a `linear` after `flatten` of a grid, whose size depends on the
       image size. Pool to 1x1 first (`gap`) to free the network from its size.""",
       "output y = linear(flatten(image), 10)",
       "output y = linear(flatten(gap(image)), 10)"),
    # issue 23's ops (E330-E349)
    _e("E330", "split sizes that do not add up to the channels",
       """`split(x, [c1, c2, ...])` cuts the channels of a grid into consecutive groups, so
       the sizes must add up to its channels exactly (`split(x, n)` instead cuts groups of
       n channels, the last one smaller if n does not divide them).""",
       "s = split(x, [2, 2])      # x has 8 channels",
       "s = split(x, [2, 6])"),
    _e("E331", "a reduction without `over` (or `over` on numbers)",
       """`mean`, `sum` and `max` of a grid keep a grid, and must say what they reduce:
       `over = "channels"` gives a 1 x H x W grid (one value per position), `over = "space"`
       a C x 1 x 1 grid (one value per channel). Of a learned tensor they reduce its
       values; of numbers and lists they take no `over`.""",
       "a = mean(x)",
       'a = mean(x, over = "channels")'),
    _e("E332", "adaptive pooling with a window, or an output size of the wrong form",
       """`avgpool(x, output = s)` and `maxpool(x, output = [h, w])` pool to that size at
       every input size (PyTorch's adaptive pooling): the windows follow from the input
       size, so `k`, `stride` and `pad` do not apply, and `output` is one number or a list
       of two.""",
       "y = avgpool(x, 3, output = 6)",
       "y = avgpool(x, output = 6)"),
    _e("E333", "space_to_depth or depth_to_space on a grid that does not divide",
       """`space_to_depth(x, r)` turns every r x r block of positions into r * r channels, so
       the grid's height and width must be multiples of r; `depth_to_space(x, r)` turns
       every r * r channels into an r x r block, so the channels must be a multiple of
       r * r.""",
       "y = space_to_depth(x, 2)     # x is 8 x 7 x 7",
       "y = space_to_depth(x, 7)"),
    _e("E334", "a learned tensor where a grid is needed",
       """`param(n)` makes n learned scalars (an n x 1 x 1 tensor on no pyramid level). They
       weigh or scale grids: multiply or divide by them (`x * w`, `w[0] * x`,
       `x / (sum(w) + 1e-4)`), or apply element-wise functions to them (`relu(w)`); ops
       that need a grid (convolutions, norms, pooling, resampling) refuse them.""",
       "y = conv(param(4), 8)",
       "y = conv(x * param(4), 8)"),
    # -------------------------------------- E35x attention, pyramid inputs, shared weights
    _e("E350", "attention between grids of different channels",
       """`attention(q, k, v)` compares every query with every key channel by channel and
       returns a weighted sum of the values, so every grid of `q`, `k` and `v` must have
       the same number of channels. Project them first with 1x1 convs (the projections of
       a transformer's attention are exactly such convs).""",
       "k = conv(p, 32, 1)\noutput y = attention(x, k, k)      # x has 64 channels",
       "k = conv(p, 64, 1)\noutput y = attention(x, k, k)"),
    _e("E351", "heads that do not divide the channels",
       """Multi-head attention cuts the channels into `heads` groups of consecutive
       channels, one per head, so `heads` must divide the channels of every grid it
       applies to (`attention` and `window_attention` alike).""",
       "output y = attention(x, x, x, heads = 3)     # x has 64 channels",
       "output y = attention(x, x, x, heads = 4)"),
    _e("E352", "keys and values that do not pair up",
       """The values of attention are read at the positions of the keys, so `k` and `v`
       must have as many grids, and each value grid the size of its key grid. A whole
       pyramid may be both (cross-scale attention); a coarser grid too (spatial
       reduction).""",
       "output y = attention(x, p, p[0])      # p is a pyramid of 3 grids",
       "output y = attention(x, p, p)"),
    _e("E353", "a window shift not below the window",
       """`window_attention` rolls the grid by `shift` before cutting it into windows;
       Swin's shifted blocks shift by half a window, and a shift of a whole window or
       more is no shift at all, so `shift` must be below `window`.""",
       "y = window_attention(x, heads = 3, window = 7, shift = 7)",
       "y = window_attention(x, heads = 3, window = 7, shift = 3)"),
    _e("E354", "a pyramid input whose grids do not halve",
       """`input feats: pyramid [...]` puts its grids on levels 0, 1, 2, ... so that
       multigrid ops (upsampling to the next level, pooling, cross-scale attention) line
       them up; each grid must be half the size of the one before it, rounded down or up
       (a backbone's stages at strides 4, 8, 16, 32: 56, 28, 14, 7 for a 224 image).""",
       "input feats: pyramid [256 x 56 x 56, 512 x 14 x 14]",
       "input feats: pyramid [256 x 56 x 56, 512 x 28 x 28]"),
    _e("E355", "shared weights between different layers",
       """`shared = true` applies one layer to every grid of a pyramid, and `shared =
       "name"` one layer at every call naming it (in one network or block call): every
       use must be the same layer, with the same input channels and the same arguments.
       A RetinaNet head shares its convs across P3-P7 because every level has 256
       channels; project the grids to one channel count first.""",
       "p = conv(feats, 8, 3, shared = true)      # feats: grids of 16 and 32 channels",
       "p = conv(conv(feats, 16, 1), 8, 3, shared = true)"),
    _e("E401", "a value of the wrong kind",
       """An argument got a value of the wrong kind: a string where a number is needed, a
       number where `true`/`false` is, or a word outside the allowed choices.""",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = conv(image, \"eight\")\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = conv(image, 8)\n}"),
    _e("E402", "not an integer",
       """Channel counts, kernel sizes, repeat counts and levels are whole numbers, and `/`
       must divide exactly (use `//` to round down).""",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = conv(image, 9 / 2)\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = conv(image, 9 // 2)\n}"),
    _e("E403", "a value out of range",
       """A number is below the smallest value an argument allows (for example zero
       channels or a kernel of 0), or outside its range (an `eps` not between 0 and 1).""",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = conv(image, 0)\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = conv(image, 8)\n}"),
    _e("E404", "a grid or pyramid is needed",
       """An op that transforms tensors got a number or a list; or a list was given a
       tensor as an item.""",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = relu(3)\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = relu(image)\n}"),
    _e("E405", "an empty argument list",
       """Functions such as `max`, `min` and `concat` need at least one value.""",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = conv(image, max())\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = conv(image, max(4, 8))\n}"),
    _e("E406", "an operator on the wrong kinds of value",
       """Arithmetic works on numbers (and lists element-wise); tensors support `+`, `-`,
       `*` and `/`, grid by grid, with a number, a one-channel or 1 x 1 grid or a learned
       tensor broadcast, but not `//`, `%` or `**`. Indexing applies to pyramids, lists
       and learned tensors only.""",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = relu(image) // 2\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = relu(image) / 2\n}"),
    _e("E407", "division by zero",
       """An arithmetic expression divides by zero or gives no number.""",
       "network N(k = 0) {\n    input image: 1 x 8 x 8\n    output y = conv(image, 8 // k)\n}",
       "network N(k = 2) {\n    input image: 1 x 8 x 8\n    output y = conv(image, 8 // k)\n}"),
    _e("E408", "too many or repeated arguments",
       """A call passes more positional arguments than the op or block takes, names a
       keyword argument twice, or gives keywords to a function that takes none.""",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = relu(image, 2)\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = relu(image)\n}"),
    _e("E409", "a required argument is missing",
       """A call leaves out an argument that has no default; the hint shows the signature.""",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = conv(image)\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = conv(image, 8)\n}"),
    _e("E410", "a block that returns nothing",
       """Every block ends with `return VALUE`; its call stands for that value.""",
       "block b(p) { q = relu(p) }\nnetwork N() {\n    input image: 1 x 8 x 8\n    output y = b(image)\n}",
       "block b(p) {\n    q = relu(p)\n    return q\n}\nnetwork N() {\n    input image: 1 x 8 x 8\n    output y = b(image)\n}"),
    _e("E411", "a malformed --set",
       """`--set` takes `NAME=VALUE`, where VALUE is a number, `true`/`false`, a list like
       `[2,2,2]` or a word.""",
       "mgdsl check net.mg --set 4",
       "mgdsl check net.mg --set width=4"),
    # ------------------------------------------------------------------ E44x conditions
    _e("E440", "a condition on tensor values",
       """Conditions (`if`, comparisons) are decided while the network is built, before any
       image flows through it, so they may use numbers, parameters, channel counts
       (`channels(p)`) and `len(p)`, but not the values of a grid or pyramid. To choose per
       pixel, compute both results and combine them.""",
       "network N() {\n    input image: 1 x 8 x 8\n    if image { a = 1 }\n"
       "    output y = image\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    if channels(image)[0] == 1 { a = 1 }\n"
       "    output y = image\n}"),
    _e("E441", "a condition that is not true or false",
       """`if` needs a boolean: compare a number rather than testing it directly (there is no
       implicit truth of numbers, strings or lists).""",
       "network N(n = 2) {\n    input image: 1 x 8 x 8\n    if n { a = 1 }\n"
       "    output y = image\n}",
       "network N(n = 2) {\n    input image: 1 x 8 x 8\n    if n > 0 { a = 1 }\n"
       "    output y = image\n}"),
    _e("E442", "values that cannot be compared",
       """`==` and `!=` compare values of the same kind (numbers, strings, booleans or
       lists); `<`, `<=`, `>`, `>=` compare numbers only — compare one item of a list, or its
       `min`, `max` or `len`.""",
       "network N(n = 2) {\n    input image: 1 x 8 x 8\n    if n == \"two\" { a = 1 }\n"
       "    output y = image\n}",
       "network N(n = 2) {\n    input image: 1 x 8 x 8\n    if n == 2 { a = 1 }\n"
       "    output y = image\n}"),
    # ------------------------------------------------------------------ E5xx limits
    _e("E501", "nested too deeply",
       """Expressions, brackets and parentheses may nest at most
       `mgdsl.limits.LIMITS.max_nesting` levels deep. Deeper text is almost certainly
       generated by mistake; split it with intermediate variables.""",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = ((((((...(image)...))))))\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    a = relu(image)\n    output y = relu(a)\n}"),
    _e("E502", "the file is too large",
       """A `.mg` file may hold at most `mgdsl.limits.LIMITS.max_file_chars` characters; no
       more than that is ever read.""",
       "mgdsl check huge.mg       # a 10 MB file",
       "split the file into several files joined with `use`"),
    _e("E503", "too many IR nodes",
       """A network may expand to at most `mgdsl.limits.LIMITS.max_nodes` IR nodes (ops after
       every block call and `repeat` is unrolled).""",
       "network N() {\n    input image: 1 x 8 x 8\n    p = image\n"
       "    repeat 90000 { p = relu(p) }\n    output y = p\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    p = image\n"
       "    repeat 90 { p = relu(p) }\n    output y = p\n}"),
    _e("E504", "a count above its limit",
       """A repeat count or a channel count is above its limit in `mgdsl.limits.LIMITS`
       (`max_repeat`, `max_channels`).""",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = conv(image, 100000000)\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = conv(image, 64)\n}"),
    _e("E505", "`use` nested too deeply",
       """Files may `use` each other at most `mgdsl.limits.LIMITS.max_use_depth` levels deep.""",
       "a.mg uses b.mg, which uses c.mg, ... 40 files deep",
       "flatten the chain: let one file `use` the others directly"),
    _e("E506", "a grid larger than the resolution limit",
       """A grid's height or width exceeds `mgdsl.limits.LIMITS.max_resolution`.""",
       "network N() {\n    input image: 1 x 16384 x 16384\n    output y = deconv(image, 1)\n}",
       "network N() {\n    input image: 1 x 16384 x 16384\n    output y = conv(image, 1)\n}"),
    _e("E507", "too many parameters",
       """A network may hold at most `mgdsl.limits.LIMITS.max_params` parameters (compiling
       it allocates four bytes for each).""",
       "network N() {\n    input image: 60000 x 8 x 8\n    output y = conv(image, 60000)\n}",
       "network N() {\n    input image: 3 x 8 x 8\n    output y = conv(image, 64)\n}"),
    _e("E508", "elaboration ran too long",
       """Elaborating a network may take at most `mgdsl.limits.LIMITS.max_steps` steps
       (statements, expression nodes and list items evaluated, counting every repeat).""",
       "network N() {\n    input image: 1 x 8 x 8\n    n = 0\n"
       "    repeat 100000 { repeat 100000 { n = n + 1 } }\n    output y = image\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = image\n}"),
    _e("E509", "an integer too large",
       """Integers are limited to 2^62, and number literals to 100 digits.""",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = conv(image, "
       "99999999999999999999 * 999999999999)\n}",
       "network N() {\n    input image: 1 x 8 x 8\n    output y = conv(image, 8)\n}"),
    _e("E510", "blocks nested too deeply",
       """Block calls may nest at most `mgdsl.limits.LIMITS.max_call_depth` calls deep.""",
       "block b0(p) { return b1(p) }\nblock b1(p) { return b2(p) }\n...   # 40 levels",
       "block b0(p) { return relu(relu(p)) }"),
    # ------------------------------------------------------------------ E6xx files
    _e("E601", "no such file",
       """A file named on the command line, by `use`, or as a checkpoint does not exist.
       `use` paths are relative to the file that contains them (then to the standard
       library).""",
       "# net.mg, next to block.mg\nuse \"blocks.mg\"",
       "# net.mg, next to block.mg\nuse \"block.mg\""),
    _e("E603", "a file that cannot be read",
       """The operating system refused to read the file, usually for lack of permission.""",
       "chmod 000 net.mg && mgdsl check net.mg",
       "chmod 644 net.mg && mgdsl check net.mg"),
    _e("E604", "not UTF-8 text",
       """A `.mg` file is UTF-8 text. A NUL byte (a binary file) or bytes that are not valid
       UTF-8 are reported at the line and column of the first offending byte. A UTF-8
       byte-order mark at the start is accepted.""",
       "a file saved as Latin-1 with `# façade` in a comment",
       "save the file as UTF-8 (`iconv -f latin1 -t utf-8`)"),
    _e("E605", "a `use` cycle",
       """Files `use` each other in a circle (a.mg uses b.mg, which uses a.mg). Move the
       shared blocks into a third file that both use.""",
       "# a.mg\nuse \"b.mg\"\n# b.mg\nuse \"a.mg\"",
       "# a.mg\nuse \"common.mg\"\n# b.mg\nuse \"common.mg\""),
    _e("E606", "not an mgdsl checkpoint",
       """The file given as a checkpoint could not be loaded, or loads but was not written by
       `mgdsl train` (it lacks the checkpoint format marker).""",
       "mgdsl eval --checkpoint notes.txt",
       "mgdsl eval --checkpoint runs/PMG-11-seg-mnist-seg/checkpoint.pt"),
    _e("E610", "a file or folder in the way",
       """A command had to create a folder where a file already is (`--out afile`, or
       `--out afile/sub`), to write a file where a folder is, or to read a file that is a
       folder (`mgdsl eval --checkpoint runs/a` instead of `runs/a/checkpoint.pt`). The
       message names the path and what is in the way. Nothing was changed.""",
       "touch afile && mgdsl train PMG-11-seg --task mnist-seg --out afile",
       "mgdsl train PMG-11-seg --task mnist-seg --out runs/pmg11"),
    _e("E611", "a read-only file system",
       """The file system that should hold the output is mounted read-only, so nothing can
       be written there. The files already there are unchanged.""",
       "mgdsl train PMG-11-seg --task mnist-seg --out /mnt/cdrom/run",
       "mgdsl train PMG-11-seg --task mnist-seg --out runs/pmg11"),
    _e("E612", "no space left on the device",
       """The disk (or the quota, or the largest file size allowed) filled up while a file
       was written. Every file is written to a temporary file first and renamed over the old
       one only when complete, so the old file is still whole; a training run writes its
       checkpoint before the metrics and plots that describe it, so those never claim more
       than the checkpoint holds. Free some space and run the same command with `--resume`
       to go on from the last checkpoint.""",
       "mgdsl train PMG-11-seg --task mnist-seg --out /full-disk/run",
       "mgdsl train PMG-11-seg --task mnist-seg --out /full-disk/run --resume   # after "
       "freeing space"),
    _e("E613", "permission denied",
       """The operating system does not let this user create, write or read the file or
       folder named in the message. Choose a place you may write to, or change the
       permissions.""",
       "mgdsl train PMG-11-seg --task mnist-seg --out /root/run   # as another user",
       "mgdsl train PMG-11-seg --task mnist-seg --out ~/runs/pmg11"),
    _e("E614", "the operating system refused a file operation",
       """Creating, writing or reading a file failed for a reason other than the common ones
       (E610-E613), for example a path inside `/proc`, a name too long, or an input/output
       error of the disk. The reason the operating system gives is quoted.""",
       "mgdsl train PMG-11-seg --task mnist-seg --out /proc/run",
       "mgdsl train PMG-11-seg --task mnist-seg --out runs/pmg11"),
    _e("E620", "a symbolic link that loops",
       """The path (a file on the command line, or one a `use` names) is a symbolic link
       that leads back to itself, directly or through other links, so there is no file to
       read. `ls -l` shows where each link points; point it at a real file.""",
       "ln -s net.mg net.mg && mgdsl check net.mg",
       "rm net.mg && cp ../nets/net.mg net.mg && mgdsl check net.mg"),
    _e("E621", "not a regular file",
       """Only regular files are read as `.mg` sources: a directory, a device such as
       `/dev/zero`, a FIFO or a socket (or a symlink to one) is refused at once, without
       reading from it.""",
       "mgdsl check /dev/zero",
       "mgdsl check net.mg"),
    # ------------------------------------------------------------------ E7xx data
    _e("E700", "a dataset that cannot be found",
       """The data directory of a task does not exist or does not hold the expected files;
       the hint shows the layout the loader expects.""",
       "mgdsl train R-MG-34 --task cifar100 --data-dir /nowhere",
       "mgdsl train R-MG-34 --task cifar100 --data-dir ~/data   # holding cifar-100-python/"),
    _e("E701", "a malformed data file",
       """A dataset file exists but cannot be read or does not hold what its format
       promises (a truncated IDX file, a pickle without `data`, an undecodable image).""",
       "an MNIST `train-images-idx3-ubyte` cut short by a broken download",
       "download the file again"),
    _e("E702", "an unknown task, split or data request",
       """The data package was asked for a task or split it does not know, or an option that
       does not apply to the task (ten-crop testing outside ImageNet), or a non-positive
       size.""",
       "mgdsl eval --checkpoint run/checkpoint.pt --task cifar10",
       "mgdsl eval --checkpoint run/checkpoint.pt --task cifar100"),
    _e("E703", "a task that needs a data directory",
       """CIFAR-100 and ImageNet are read from disk; their tasks need `--data-dir` pointing at
       the dataset.""",
       "mgdsl train R-MG-34 --task cifar100",
       "mgdsl train R-MG-34 --task cifar100 --data-dir ~/data"),
    _e("E710", "a network parameter of the wrong kind",
       """A value given to a network parameter (`--set NAME=VALUE` on the command line, or
       a keyword of `mgdsl.load`) is of another kind than the parameter's literal default:
       a string where the default is a number, a number where it is a list, and so on.
       `--set` parses its value like a `.mg` literal: `64`, `0.5`, `[2, 2, 2]`, `true`.""",
       "mgdsl check MG-16 --set n=abc",
       "mgdsl check MG-16 --set n=2"),
    _e("E711", "a network that does not fit the task",
       """Training and evaluation feed the task's images to the network's input and compare
       its output with the task's targets. The network's declared input shape must equal
       the task's image shape, and its output the task's target shape (one score map per
       class at the input resolution for segmentation, one vector of class scores for
       classification). This is checked on the IR, before any torch work.""",
       "mgdsl train seg3.mg --task mnist-seg   # seg3.mg outputs 3 maps, the task has 10",
       "mgdsl train PMG-11-seg --task mnist-seg"),
    # ------------------------------------------------------------------ E8xx training
    _e("E800", "a run that cannot start",
       """A training or evaluation run cannot start or go on: its output directory already
       holds a run (use `--resume` or `--overwrite`), an option is malformed, a device is
       missing, or `mgdsl eval` lacks what it needs to find the checkpoint.""",
       "mgdsl train PMG-11-seg --task mnist-seg --out runs/a   # runs/a holds a run",
       "mgdsl train PMG-11-seg --task mnist-seg --out runs/a --resume"),
    _e("E801", "a diverged run",
       """The loss or the parameters became NaN or infinite. The run stops before the bad
       step is applied, so the last checkpoint on disk is good; lower the learning rate.""",
       "mgdsl train PMG-11-seg --task mnist-seg --lr 1e30",
       "mgdsl train PMG-11-seg --task mnist-seg --lr 0.1"),
    _e("E802", "a checkpoint that does not fit the run",
       """A checkpoint belongs to another network, task or run set-up than the one it is
       resumed or evaluated with.""",
       "mgdsl eval PMG-16-seg --task mnist-seg --checkpoint runs/pmg11/checkpoint.pt",
       "mgdsl eval PMG-11-seg --task mnist-seg --checkpoint runs/pmg11/checkpoint.pt"),
    _e("E803", "outputs that do not fit the task",
       """The network's output does not have the shape the task's loss needs: a
       segmentation task needs one score map per class at the input resolution, a
       classification task one vector of class scores.""",
       "mgdsl train MG-16 --task mnist-seg      # MG-16 outputs 100 class scores",
       "mgdsl train PMG-16-seg --task mnist-seg"),
    # ------------------------------------------------------------------ E9xx diagrams
    # ------------------------------------------------------------------ E93x editor (serve)
    _e("E930", "a `use` outside the served folder",
       """`mgdsl serve` lets the browser read and change the `.mg` files of one folder. A
       `use` may reach files under that folder (symlinks followed) and the standard library
       only, so a served file cannot read the rest of the disk.""",
       "# served.mg, in the folder given to `mgdsl serve`\nuse \"../../secrets.mg\"",
       "copy the blocks into the served folder:  use \"blocks.mg\""),
    _e("E931", "nothing to serve",
       """`mgdsl serve` takes a folder of `.mg` files or one `.mg` file (its folder is
       served and the file opened first).""",
       "mgdsl serve notes.txt",
       "mgdsl serve architectures/"),
    _e("E932", "cannot listen on the port",
       """The port is out of range or already in use by another program.""",
       "mgdsl serve architectures/ --port 70000",
       "mgdsl serve architectures/ --port 0      # any free port"),
    _e("E980", "the diagram took too long to draw",
       """`mgdsl serve` stops Graphviz when one diagram takes longer than its limit (10 s
       unless `--render-limit` says otherwise), so one huge network cannot keep the editor
       busy for everyone. The diagnostics and statistics of the text are still current;
       only the picture is missing. The message sits on the network's header line.""",
       "mgdsl serve zoo/   # then open a network with tens of thousands of layers",
       "mgdsl render BigNet -o big.svg        # no time limit on the command line\n"
       "mgdsl serve zoo/ --render-limit 60    # or allow the editor more time"),
    _e("E981", "the editor was too busy to check the text",
       """Checks run one at a time; a check that waited for its turn longer than the
       server's limit (30 s) is given up rather than left hanging. It happens only when
       many clients check very large files at once; the next keystroke checks again.""",
       "(50 browsers each editing a 20,000-layer network on one server)",
       "type again, or give each user their own `mgdsl serve`"),
    _e("E982", "a render limit that is not a positive number",
       """`mgdsl serve --render-limit SECONDS` is how long Graphviz may take for one
       diagram; it must be a positive number of seconds.""",
       "mgdsl serve architectures/ --render-limit 0",
       "mgdsl serve architectures/ --render-limit 30"),
    _e("E900", "a TikZ picture body for an output that is not TikZ",
       """`--tikz-body` writes only the `tikzpicture` of a diagram, to `\\input` into a paper
       that loads TikZ; it applies to TikZ output (`.tex`), not to `.svg`, `.png`, `.pdf`
       or `.dot`.""",
       "mgdsl render PMG-11-seg --tikz-body -o fig.svg",
       "mgdsl render PMG-11-seg --tikz-body -o fig.tex"),
    # ------------------------------------------------------------------ E94x export (ONNX)
    _e("E940", "the network cannot be exported to ONNX",
       """`mgdsl export` compiles the network and hands it to `torch.onnx.export`, then
       checks the file with `onnx.checker`. This fails when the exporter's packages are not
       installed (`pip install 'mgdsl[export]'`: onnx, onnxscript, onnxruntime), when the
       opset is one this torch cannot write, when torch's exporter fails, or when the file
       does not pass the checker or (with `--verify`) does not compute what PyTorch does:
       other shapes, or values further from the float64 result than 1e-4 plus twice
       PyTorch's own float32 error. The message says which.""",
       "mgdsl export PMG-11-seg -o pmg11.onnx --opset 3",
       "mgdsl export PMG-11-seg -o pmg11.onnx            # opset 17"),
    _e("E941", "sizes that cannot be dynamic",
       """`--dynamic` makes the height and width of every input symbolic in the ONNX file,
       which is only right for a network that runs at other sizes. This network checks at
       no other input size (see E326): typically a `linear` after `flatten` of a grid.""",
       "mgdsl export flat.mg -o flat.onnx --dynamic",
       "mgdsl export flat.mg -o flat.onnx      # the batch axis stays dynamic"),
    _e("E960", "nothing to draw",
       """`render` needs a network (a file or zoo name) or a standard block name.""",
       "mgdsl render --out net.svg",
       "mgdsl render PMG-11-seg --out net.svg"),
    _e("E961", "Graphviz is not installed",
       """Drawing SVG, PNG or PDF runs Graphviz's `dot` program, which is not on the PATH.
       Install Graphviz, or write `.dot` text, which needs no Graphviz.""",
       "mgdsl render PMG-11-seg --out net.svg   # without Graphviz",
       "apt-get install graphviz   # or: mgdsl render PMG-11-seg --out net.dot"),
    _e("E962", "a file format that cannot be drawn",
       """`render` writes `.dot`, `.svg`, `.png`, `.pdf` and `.tex` (TikZ); the output
       file's suffix chooses the format.""",
       "mgdsl render PMG-11-seg --out net.jpg",
       "mgdsl render PMG-11-seg --out net.png"),
    _e("E963", "a block that cannot be drawn",
       """`render --block NAME` draws a block of the standard library on a sample input;
       the name is unknown, or a parameter has no sample value.""",
       "mgdsl render --block mgconvv --out b.svg",
       "mgdsl render --block mgconv --out b.svg"),
    _e("E964", "Graphviz failed",
       """Graphviz's `dot` ran but could not draw the diagram; its last message is shown.""",
       "a broken Graphviz installation (missing plugins for PNG)",
       "reinstall Graphviz, or write `.dot` or `.svg`"),
    # ------------------------------------------------------------------ W1xx warnings
    _e("W101", "`ceil` pooling makes a grid one pixel bigger",
       """A max-pool rounds its output size up (`ceil = true`, the default of `maxpool`) on a
       grid whose size the stride does not divide, so the last window hangs over the edge
       and the grid is one pixel bigger than `floor` rounding would make it. Pyramids then
       stop halving exactly. Pass `ceil = false`, choose a size the stride divides, or
       silence the warning on its line with `# allow(W101)` when it is meant.""",
       "network N() {\n    input image: 3 x 15 x 15\n    output y = maxpool(image)\n}",
       "network N() {\n    input image: 3 x 15 x 15\n    output y = maxpool(image, ceil = false)"
       "\n}"),
    _e("W102", "a conv bias straight into a batch norm",
       """Every reader of this convolution is a batch norm, which subtracts the batch mean
       and so cancels any constant bias: the bias parameters train to nothing. Pass
       `bias = false` to the conv, or silence the warning with `# allow(W102)`. Ops inside
       the standard library's blocks are not judged.""",
       "network N() {\n    input image: 3 x 16 x 16\n    output y = bn(conv(image, 8))\n}",
       "network N() {\n    input image: 3 x 16 x 16\n"
       "    output y = bn(conv(image, 8, bias = false))\n}"),
    _e("W103", "parameters that reach no output",
       """Ops with parameters whose results no `output` reads: they are counted in the
       network's size but never trained. Use the result, delete the statement, or silence
       the warning with `# allow(W103)`. Ops inside the standard library's blocks are not
       judged (a pyramid block computes every level even when a head reads one).""",
       "network N() {\n    input image: 3 x 16 x 16\n    unused = conv(image, 64)\n"
       "    output y = relu(image)\n}",
       "network N() {\n    input image: 3 x 16 x 16\n    output y = relu(image)\n}"),
    _e("W104", "an even-kernel conv that does not map the size to size / stride",
       """An even kernel has no padding that keeps a grid's size, so `conv` pads it by 0 by
       default (as PyTorch does): a k x k stride-k patchify conv (ConvNeXt's 4 x 4 stride-4
       stem, its 2 x 2 stride-2 downsampling) is then exact, but at another stride the grid
       comes out smaller than size / stride, and grids of a pyramid stop lining up. Give
       `pad` to choose, or silence the warning with `# allow(W104)` when it is meant.""",
       "x = conv(image, 8, 4)            # 32x32 -> 29x29",
       "x = conv(image, 8, 4, stride = 4)  # 32x32 -> 8x8"),
    _e("W120", "a norm whose groups hold one value",
       """A normalisation subtracts each group's mean and divides by its spread; a group of
       one value (group norm with channels / groups × height × width = 1, a layer norm of a
       one-channel grid) is always normalised to zero, so the op outputs its learned shift
       whatever its input, and PyTorch refuses it at batch 1 ("Expected more than 1 value
       per channel"). Use fewer groups, normalise before the grid is pooled that small, or
       drop the norm; `# allow(W120)` silences it. Ops inside the standard library's
       blocks are judged too, at the call.""",
       "network N() {\n    input image: 4 x 2 x 2\n"
       "    output y = groupnorm(maxpool(image), 4)\n}",
       "network N() {\n    input image: 4 x 2 x 2\n"
       "    output y = maxpool(groupnorm(image, 4))\n}"),
    _e("W121", "a batch norm of a 1x1 grid",
       """Batch norm normalises each channel over the batch and every position; on a 1x1
       grid that is the batch alone, so when training at batch 1 its output is its shift
       alone and PyTorch refuses it ("Expected more than 1 value per channel when
       training"). Larger batches train, and inference uses the running statistics, so
       this is only a warning. Normalise before pooling to 1x1, or silence it with
       `# allow(W121)`. Ops inside the standard library's blocks are not judged (the
       paper's networks normalise their 1x1 coarsest grids).""",
       "network N() {\n    input image: 4 x 2 x 2\n    output y = bn(maxpool(image))\n}",
       "network N() {\n    input image: 4 x 2 x 2\n    output y = maxpool(bn(image))\n}"),
)

CATALOGUE: dict[str, Entry] = {e.code: e for e in ENTRIES}


@dataclass(frozen=True)
class Retired:
    """A meaning a code no longer has: what it meant, the code that means it now and when
    (and in which commit) it moved."""

    code: str
    title: str
    replaced_by: str
    moved: str


#: every meaning that has left its code, oldest first (append only)
RETIRED: tuple[Retired, ...] = (
    # `mgdsl render` (2026-11-25, fc38159) took E800-E804, which training (91a58b5, six
    # minutes earlier) already used for E800-E803; the catalogue moved render's meanings away
    Retired("E800", "nothing to draw (`mgdsl render`)", "E960", "2026-11-29 (b4955fe)"),
    Retired("E801", "Graphviz is not installed", "E961", "2026-11-29 (b4955fe)"),
    Retired("E802", "a file format that cannot be drawn", "E962", "2026-11-29 (b4955fe)"),
    Retired("E803", "a block that cannot be drawn", "E963", "2026-11-29 (b4955fe)"),
    Retired("E804", "Graphviz failed", "E964", "2026-11-29 (b4955fe)"),
    # E602 meant a checkpoint that cannot be loaded until the catalogue moved that to E606;
    # the same day it was given "not a regular file" (66701bf), which moved to E621
    Retired("E602", "a checkpoint that cannot be loaded", "E606", "2026-11-29 (b4955fe)"),
    Retired("E602", "not a regular file", "E621", "2026-12-06 (issue 27)"),
)

#: codes all of whose meanings have moved: never to be given a new one
RETIRED_CODES: frozenset[str] = frozenset(r.code for r in RETIRED) - set(CATALOGUE)

#: codes that still carry their first meaning although a later one once shared them (before
#: the catalogue existed); no code may join this set
SHARED_BEFORE_THE_CATALOGUE: frozenset[str] = frozenset({"E800", "E801", "E802", "E803"})

_CODE = re.compile(r"^[EW]\d{3}$")


def lookup(code: str) -> Entry:
    """The entry of `code` (case-insensitive); an `MgNameError` E221 with a did-you-mean.

    A retired code gives the entry of the code that replaced it (see `retirements`).
    """
    key = code.strip().upper()
    if key in CATALOGUE:
        return CATALOGUE[key]
    if key in RETIRED_CODES:
        return CATALOGUE[retirements(key)[-1].replaced_by]
    hint = did_you_mean(key, CATALOGUE) if _CODE.match(key) or len(key) > 2 else None
    raise MgNameError(f"no diagnostic code `{code}`", code="E221",
                      hint=hint or "run `mgdsl explain` to list every code")


def retirement_problems(entries: tuple[Entry, ...] = ENTRIES,
                        retired: tuple[Retired, ...] = RETIRED) -> list[str]:
    """What breaks "a code is never reused" in these tables (empty when nothing does)."""
    codes = [e.code for e in entries]
    live = set(codes)
    problems = [f"{c} has {codes.count(c)} entries" for c in sorted(live) if codes.count(c) > 1]
    for r in retired:
        if r.replaced_by not in live:
            problems.append(f"{r.code}'s meaning moved to {r.replaced_by}, which has no entry")
        if r.code in live and r.code not in SHARED_BEFORE_THE_CATALOGUE:
            problems.append(f"{r.code} is retired (it meant \"{r.title}\") but has an entry "
                            "again: give the new meaning a fresh code")
    return problems


def retirements(code: str) -> list[Retired]:
    """The meanings `code` (case-insensitive) once had and has no longer, oldest first."""
    key = code.strip().upper()
    return [r for r in RETIRED if r.code == key]


def _retirement_lines(code: str) -> list[str]:
    """One sentence per former meaning of `code`."""
    key = code.strip().upper()
    if key in RETIRED_CODES:
        return [f"{key} is retired: it meant \"{r.title}\" until {r.moved}; that is "
                f"{r.replaced_by} now." for r in retirements(key)]
    return [f"{key} also meant \"{r.title}\" until {r.moved}; that is {r.replaced_by} now."
            for r in retirements(key)]


def explain(code: str) -> str:
    """The text `mgdsl explain CODE` prints: title, explanation, wrong example and fix.

    For a retired code, first what it meant and what replaced it, then the replacement's
    entry; for a code that once had another meaning too, that meaning at the end.
    """
    e = lookup(code)
    text = (f"{e.code}: {e.title}\n\n{textwrap.fill(e.explanation, 88)}\n\n"
            f"Wrong:\n\n{_indent(e.wrong)}\n\nFix:\n\n{_indent(e.fix)}\n")
    former = "".join(textwrap.fill(line, 88) + "\n" for line in _retirement_lines(code))
    if code.strip().upper() in RETIRED_CODES:
        return former + "\n" + text
    return text + ("\n" + former if former else "")


def listing() -> str:
    """One line per code, `CODE  title`, in code order."""
    return "".join(f"{e.code}  {e.title}\n" for e in ENTRIES)


def markdown() -> str:
    """The whole catalogue as the Markdown page `docs/errors.md`."""
    out = ["# Error and warning codes", "",
           "Generated from `mgdsl/catalogue.py` by `mgdsl explain --markdown > docs/errors.md`;",
           "do not edit by hand. `mgdsl explain CODE` prints one entry in the terminal.", "",
           "Errors (`error[E…]`) stop the command with exit status 1. Warnings (`warning[W…]`)",
           "flag valid but suspicious programs and leave the exit status 0; silence one on a",
           "line by ending the line with a comment `# allow(W101)` (several codes: "
           "`# allow(W101, W102)`). `mgdsl check` prints warnings; in Python they are the list",
           "`ir.graph[\"warnings\"]` of every graph `mgdsl.build_graph` or `mgdsl.load` returns.", ""]
    out += [f"- [{e.code}](#{e.code.lower()}) {e.title}" for e in ENTRIES]
    for e in ENTRIES:
        out += ["", f"## {e.code}", "", f"**{e.title}** ({e.kind})", "", e.explanation, "",
                "Wrong:", "", "```", e.wrong, "```", "", "Fix:", "", "```", e.fix, "```"]
        out += [line for r in retirements(e.code) for line in
                ("", f"Until {r.moved} {e.code} also meant \"{r.title}\"; that is "
                     f"[{r.replaced_by}](#{r.replaced_by.lower()}) now.")]
    out += ["", "## Retired codes", "",
            "A code is never given a new meaning. These codes meant something that another "
            "code means now;", "they are never used again.", ""]
    out += [f"- {r.code}: \"{r.title}\" until {r.moved}, now "
            f"[{r.replaced_by}](#{r.replaced_by.lower()})"
            for r in RETIRED if r.code in RETIRED_CODES]
    return "\n".join(out) + "\n"


def _indent(text: str) -> str:
    return "\n".join("    " + line if line else "" for line in text.split("\n"))
