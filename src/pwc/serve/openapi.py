"""Write the API's OpenAPI schema (default settings) to stdout: `make openapi`."""

import json
import sys

from pwc.serve.app import Settings, create_app


def schema() -> dict:
    return create_app(Settings()).openapi()


if __name__ == "__main__":
    json.dump(schema(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
