"""The one error type of the data package.

Every problem with a dataset on disk (a missing directory, a truncated IDX file, a pickle
without the expected keys) or with a request to the data package (an unknown task name)
raises `DataError`, a member of the `MgError` family, so the CLI renders it like any other
diagnostic and exits with status 1.
"""

from __future__ import annotations

from mgdsl.errors import MgError

__all__ = ["DataError"]


class DataError(MgError):
    """A dataset that cannot be found, read or understood, or a bad data request (E7xx).

    Codes: E700 missing file or directory, E701 malformed file, E702 unknown task or
    split, E703 a task that needs an argument it was not given.
    """

    code = "E700"
