# E606: a file that is not an mgdsl checkpoint
echo "not a checkpoint" > c.pt
mgdsl eval --checkpoint c.pt
