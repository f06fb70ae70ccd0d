"""`mgdsl export FILE|NAME -o model.onnx [--dynamic] [--verify]`: write a network as ONNX.

Exports through `torch.onnx.export` (see `mgdsl.codegen.onnx_export`); the batch axis is
always dynamic, and with `--dynamic` the height and width of every input too. The file
passes `onnx.checker` before it is written; `--verify` also runs it in onnxruntime and
compares it with the fx module.
"""

from __future__ import annotations

import argparse
import sys

from mgdsl.cli.common import add_target_args, load_ir
from mgdsl.oserrors import os_errors

__all__ = ["register", "run"]

# how far onnxruntime may be from the float64 result beyond twice float32 PyTorch's own error
VERIFY_TOLERANCE = 1e-4

EPILOG = """\
Examples:
  mgdsl export PMG-11-seg -o pmg11.onnx
  mgdsl export PMG-11-seg -o pmg11.onnx --dynamic --verify
  mgdsl export examples/resnet18.mg -o resnet18.onnx --dynamic
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `export` verb."""
    p = sub.add_parser(
        "export", help="write a network as an ONNX model (onnxruntime, TensorRT, ...)",
        description="Export a network to ONNX through torch.onnx.export. The weights are the "
        "paper's initialisation unless --checkpoint gives trained ones.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_target_args(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the .onnx file to write")
    p.add_argument("--dynamic", action="store_true",
                   help="make the inputs' height and width dynamic (the batch always is)")
    p.add_argument("--opset", type=int, default=None, help="ONNX opset (default 17)")
    p.add_argument("--checkpoint", metavar="PATH",
                   help="load trained weights from an `mgdsl train` checkpoint first")
    p.add_argument("--verify", action="store_true",
                   help="run the file in onnxruntime and compare it with the PyTorch module")
    p.set_defaults(func=run)


def _shape(dims: list) -> str:
    return " x ".join(str(d) for d in dims)


def run(args: argparse.Namespace) -> int:
    """Export, report the inputs and outputs, and optionally verify."""
    from mgdsl.codegen.onnx_export import DEFAULT_OPSET, MgExportError, export_onnx, verify

    ir = load_ir(args)
    module = None
    if args.checkpoint:
        from mgdsl.codegen.fx import to_fx
        from mgdsl.train.checkpoint import load_checkpoint, load_model_state

        module = to_fx(ir)
        data = load_checkpoint(args.checkpoint)
        load_model_state(module, data["model"], args.checkpoint, f"`{args.target}`")
    # the exporter's own failures are coded inside it; an OSError is the file's write
    with os_errors(args.output, action="write", what="the ONNX model", given=args.output):
        result = export_onnx(ir, args.output, dynamic=args.dynamic,
                             opset=args.opset or DEFAULT_OPSET, module=module,
                             source=args.target)
    print(f"wrote {result.path} ({result.size / 1e6:.1f} MB, opset {result.opset}, "
          "passes onnx.checker)", file=sys.stderr)
    for name, dims in result.inputs.items():
        print(f"  input  {name}: {_shape(dims)}", file=sys.stderr)
    for name, dims in result.outputs.items():
        print(f"  output {name}: {_shape(dims)}", file=sys.stderr)
    if args.verify:
        check = verify(result.path, ir, result.module)
        if not check.within(VERIFY_TOLERANCE):
            raise MgExportError(
                f"onnxruntime's outputs are {check.onnx:.2e} from the float64 result, more than "
                f"{VERIFY_TOLERANCE:g} plus twice PyTorch's own float32 error "
                f"({check.torch32:.2e})", code="E940",
                hint="report it with the .mg file: an op is exported wrongly")
        print(f"onnxruntime matches PyTorch: largest difference from the float64 result "
              f"{check.onnx:.2e}, PyTorch's own float32 {check.torch32:.2e} (relative to "
              "the output's scale when above 1)", file=sys.stderr)
    return 0
