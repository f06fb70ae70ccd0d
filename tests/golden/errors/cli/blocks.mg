# blocks only: a library, no network
block b(p) { return relu(p) }
