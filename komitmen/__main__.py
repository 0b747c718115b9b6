"""`python -m komitmen` runs the command line."""

from komitmen.cli import main

raise SystemExit(main())
