# E982: a render limit that is not a positive number of seconds
mgdsl serve {here} --render-limit 0
