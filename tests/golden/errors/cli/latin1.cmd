# E604: bytes that are not UTF-8 (a Latin-1 comment)
mgdsl check {here}/latin.mg
