# E220: neither a file nor a zoo model
mgdsl stats PMG-11-sge
