"""`python -m mgdsl.ops docs/ops.md`: regenerate the op table of the ops page."""

import sys
from pathlib import Path

from .docs import update

target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/ops.md")
print(f"{target}: {'updated' if update(target) else 'already current'}")
