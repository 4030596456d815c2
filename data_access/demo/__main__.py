"""``python -m data_access.demo``: see :mod:`data_access.demo.cli`."""

import sys

from data_access.demo.cli import main

sys.exit(main())
