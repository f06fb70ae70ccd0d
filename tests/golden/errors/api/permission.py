# E613: a folder this user may not write to while a run's metrics are written (simulated: the rename fails with EACCES)
import errno
import os
from unittest import mock

from mgdsl.atomic import write_atomic
from mgdsl.oserrors import os_errors

failure = OSError(errno.EACCES, os.strerror(errno.EACCES))
with mock.patch("mgdsl.atomic.os.replace", side_effect=failure), \
        os_errors("run/metrics.csv", action="write", what="the metrics"):
    write_atomic("run/metrics.csv", "epoch,train_loss\n1,0.5\n")
