"""Every zoo entry's IR stays what it was: one digest of each entry's `mgdsl dump` text.

The digests are of the dump without source positions (`dump(ir, spans=False)`), so editing
a comment in `architectures/` changes nothing while any change of a node, its op, shape,
arguments, name or order does. A change that is meant (a renamed node kind, a new default)
is recorded with `pytest tests/ir/test_dump.py --update-golden`; compare `mgdsl dump` of
the entries named in the failure before and after the change, and say why in the commit.
"""

from __future__ import annotations

import hashlib

import pytest
from paths import TESTS

from mgdsl import zoo
from mgdsl.api import zoo_graph
from mgdsl.ir.dump import dump

DIGESTS = TESTS / "golden" / "zoo_dumps.sha256"


def _digests() -> dict[str, str]:
    return {e.name: hashlib.sha256(dump(zoo_graph(e), spans=False).encode()).hexdigest()
            for e in zoo.ENTRIES}


def test_every_zoo_entry_keeps_its_ir(update_golden: bool) -> None:
    actual = _digests()
    text = "".join(f"{digest}  {name}\n" for name, digest in actual.items())
    if update_golden or not DIGESTS.exists():
        DIGESTS.write_text(text, encoding="utf-8")
        if not update_golden:
            pytest.fail(f"{DIGESTS.name} was missing; written, please review it")
    stored = dict(reversed(line.split("  ", 1)) for line in
                  DIGESTS.read_text(encoding="utf-8").splitlines())
    changed = sorted(n for n in actual.keys() | stored.keys() if actual.get(n) != stored.get(n))
    assert not changed, f"the IR of these zoo entries changed: {', '.join(changed)}"
