# E940: an opset this torch cannot write
mgdsl export {here}/seg.mg -o seg.onnx --opset 3
