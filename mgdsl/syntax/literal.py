"""How a value is spelled in `.mg` source: the one spelling that signatures, hover text
and messages use."""

from __future__ import annotations

from typing import Any

__all__ = ["mg_literal", "mg_arguments"]


def mg_literal(value: Any) -> str:
    """`value` as a `.mg` file writes it.

    >>> mg_literal((64, 1e-05, True, "one", None))
    '[64, 1e-5, true, "one", none]'
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(mg_literal(v) for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float):
        return repr(value).replace("e-0", "e-")
    return str(value)


def mg_arguments(params: dict[str, Any]) -> str:
    """Named values as `.mg` text, as `dump` heads a network (`n=3, units=[3, 4]`).

    >>> mg_arguments({"units": (3, 4), "se": True})
    'units=[3, 4], se=true'
    """
    return ", ".join(f"{k}={mg_literal(v)}" for k, v in params.items())
