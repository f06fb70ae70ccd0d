# An empty network has neither input nor output.
network N() { }  # error[E212] error[E213]
