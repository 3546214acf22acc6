"""spark-submit entry point of the users streaming job (see users_stream.job)."""

import sys

from users_stream.job import main

if __name__ == "__main__":
    sys.exit(main())
