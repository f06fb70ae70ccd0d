# E211: a file of several networks needs --network for commands that take one
mgdsl stats {here}/twonets.mg
