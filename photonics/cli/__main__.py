"""``python -m cposim.photonics.cli``: the ``cposim`` command line."""

from cposim.photonics.cli.main import main

raise SystemExit(main())
