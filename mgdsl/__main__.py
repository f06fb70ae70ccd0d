"""`python -m mgdsl` (also what `torchrun -m mgdsl train ...` runs)."""

import sys

from mgdsl.cli.main import main

sys.exit(main())
