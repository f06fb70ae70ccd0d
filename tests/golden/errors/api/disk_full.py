# E612: a full disk while a run's metrics are written (simulated: the rename fails with ENOSPC)
import errno
import os
from unittest import mock

from mgdsl.atomic import write_atomic
from mgdsl.oserrors import os_errors

failure = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
with mock.patch("mgdsl.atomic.os.replace", side_effect=failure), \
        os_errors("run/metrics.csv", action="write", what="the metrics"):
    write_atomic("run/metrics.csv", "epoch,train_loss\n1,0.5\n")
