# E411: --set without `=`
mgdsl check {here}/twonets.mg --network A --set 4
