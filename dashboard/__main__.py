"""`python -m dashboard …`: the command line (see dashboard/cli.py)."""

import sys

from dashboard.cli import main

sys.exit(main())
