"""Where the job finds the files generated from contracts/ (the Spark schema, the rules, its environment)."""

from __future__ import annotations

from pathlib import Path


def artifact_path(name: str) -> Path:
    """A generated file: next to this package (the image copies it there) or in the repo's contracts/."""
    here = Path(__file__).resolve().parent
    for candidate in (here / name, here.parent.parent / "contracts" / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{name} not found next to {here} nor in the repository's contracts/")
