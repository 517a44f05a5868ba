"""The root stack runs examples/basic, so `pulumi up` at the top of the repository deploys
the basic example with this project's config (see examples/basic/__main__.py)."""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).parent / "examples" / "basic" / "__main__.py"),
               run_name="__main__")
