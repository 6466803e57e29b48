"""``python -m journeykit``."""

import sys

from journeykit.cli import main

sys.exit(main())
