"""`python -m users_stream` (spark-submit runs main.py, which does the same)."""

import sys

from .job import main

sys.exit(main())
