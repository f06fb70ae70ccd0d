# E621: a device is refused at once, never read (/dev/zero would read forever)
mgdsl check /dev/zero
