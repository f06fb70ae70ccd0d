# E211: --network names a network the file does not define
mgdsl check {here}/twonets.mg --network C
