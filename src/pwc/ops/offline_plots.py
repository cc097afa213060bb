"""`dvc plots` with no network. DVC's HTML page loads Vega, Vega-Lite and vega-embed from a
CDN, so its plots are blank on a machine without internet. This writes a page template for
`dvc plots show/diff --html-template` with the three inlined from the npm packages pinned in
tests/web/package.json (`make web-deps` installs them); `make plots` uses it.

    python -m pwc.ops.offline_plots TEMPLATE [--node-modules DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pwc.errors import PwcError
from pwc.io import write_bytes

NODE_MODULES = Path("tests/web/node_modules")
SCRIPTS = (
    "vega/build/vega.min.js",
    "vega-lite/build/vega-lite.min.js",
    "vega-embed/build/vega-embed.min.js",
)
# DVC fills these by text replacement: a script that held one would be rewritten
PLACEHOLDERS = ("{plot_divs}", "{scripts}", "{refresh_tag}")
PAGE = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
{refresh_tag}
<title>DVC plots</title>
<!-- Vega, Vega-Lite and vega-embed inlined (pwc.ops.offline_plots): no network needed -->
INLINED
<style>table { border-spacing: 15px; }</style>
</head>
<body>
{plot_divs}
</body>
</html>
"""


def inlined_scripts(node_modules: Path = NODE_MODULES) -> str:
    """Vega, Vega-Lite and vega-embed as inline <script> elements."""
    scripts = []
    for relative in SCRIPTS:
        path = node_modules / relative
        try:
            code = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise PwcError(f"{path}: not found (run `make web-deps`)") from None
        if found := [p for p in PLACEHOLDERS if p in code]:
            raise PwcError(f"{path} contains {found[0]}, which DVC would replace")
        # a "</script" inside the code would end the element early
        scripts.append("<script>" + code.replace("</script", "<\\/script") + "</script>")
    return "\n".join(scripts)


def template(node_modules: Path = NODE_MODULES) -> str:
    """The page template, its scripts inlined."""
    return PAGE.replace("INLINED", inlined_scripts(node_modules))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--node-modules", type=Path, default=NODE_MODULES)
    args = parser.parse_args(argv)
    try:
        write_bytes(args.output, template(args.node_modules).encode("utf-8"))
    except PwcError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
