"""`python -m checks`: the same as the `asyncguard` command."""

import sys

from checks.cli import main

sys.exit(main())
