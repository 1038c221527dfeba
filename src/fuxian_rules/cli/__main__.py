"""``python -m fuxian_rules.cli``: the command line."""

import sys

from fuxian_rules.cli.commands import main

sys.exit(main())
