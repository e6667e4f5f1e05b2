"""``python -m projector.cli``: the same as the ``projector`` command."""

import sys

from projector.cli.entry import main

sys.exit(main())
