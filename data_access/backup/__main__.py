"""``python -m data_access.backup``: see :mod:`data_access.backup.cli`."""

import sys

from data_access.backup.cli import main

sys.exit(main())
