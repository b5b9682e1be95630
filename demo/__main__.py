"""`python -m demo` (what `make demo` runs)."""

import sys

from .run import main

sys.exit(main())
