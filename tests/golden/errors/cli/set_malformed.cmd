# E411: --set without `=`
cp {here}/twonets.mg .
mgdsl check twonets.mg --network A --set 4
