"""Helpers shared by the benchmark scripts: arguments, JSON output, tables."""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path
from typing import Any

DOCS_DIR = Path(__file__).resolve().parent.parent / "docs" / "benchmarks"


def make_parser(description: str) -> argparse.ArgumentParser:
    """Build a parser with the options every benchmark takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="run a subset that finishes in under a minute",
    )
    parser.add_argument(
        "--json",
        dest="json_path",
        type=Path,
        help="write machine-readable results to this file",
    )
    return parser


def machine_description() -> dict[str, Any]:
    """Describe the interpreter and machine that produced a result."""
    import os

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def write_json(path: Path | None, payload: dict[str, Any]) -> None:
    """Write ``payload`` with a machine description to ``path``, if given."""
    if path is None:
        return
    payload = {"machine": machine_description(), **payload}
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"Wrote {path}")


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    """Format rows as a GitHub-flavoured markdown table."""
    lines = [
        "| " + " | ".join(headers) + " |",
        "| " + " | ".join("---" for _ in headers) + " |",
    ]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)
