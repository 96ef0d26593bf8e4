"""The official AsyncAPI parser (``@asyncapi/parser``, installed under tests/node by
``make node``), run with Node on a document: the check every exported document passes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

NODE_DIR = Path(__file__).resolve().parent / "node"
SCRIPT = NODE_DIR / "validate_asyncapi.js"
ERROR, WARNING = 0, 1


def official_diagnostics(text: str) -> dict[str, Any]:
    """``{"valid", "version", "diagnostics": [{"severity", "code", "message", "path"}]}``."""
    finished = subprocess.run(
        ["node", str(SCRIPT)],
        input=text.encode("utf-8"),
        capture_output=True,
        cwd=NODE_DIR,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr.decode(errors="replace")[-2000:]
    result: dict[str, Any] = json.loads(finished.stdout)
    return result


def assert_valid_asyncapi(text: str, version: str = "3.0.0") -> None:
    """The parser reads ``text`` as an AsyncAPI ``version`` document with no error or warning."""
    result = official_diagnostics(text)
    problems = [
        item
        for item in result["diagnostics"]
        if item["severity"] in (ERROR, WARNING) and item["code"] != "asyncapi-latest-version"
    ]
    assert result["valid"] and not problems, json.dumps(problems, indent=1)[:4000]
    assert result["version"] == version, result["version"]
