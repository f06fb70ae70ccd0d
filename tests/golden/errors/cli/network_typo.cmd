# E211: --network names a network the file does not define (the caret is under the argument)
cp {here}/twonets.mg .
mgdsl check twonets.mg --network C
