# E502: a file above mgdsl.limits.LIMITS.max_file_chars
head -c 900000 /dev/zero | tr '\0' ' ' > big.mg
mgdsl check big.mg
