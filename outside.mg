block b(p) { return p }
