"""``python -m pulumi_mihu.native``: the plugin, as ``pulumi-resource-mihu`` runs it."""

import sys

from .server import main

sys.exit(main())
