# E941: --dynamic for a network tied to its declared size
cp {here}/flat.mg .
mgdsl export flat.mg -o flat.onnx --dynamic
