"""`python -m asyncguard`: the same as the `asyncguard` command."""

from asyncguard.checks.cli import main

raise SystemExit(main())
