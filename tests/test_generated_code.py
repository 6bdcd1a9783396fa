"""gen/ is exactly what scripts/gen_protos.py makes from protos/, and buf lint is clean."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _files(root: Path) -> set[str]:
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_generated_code_is_in_sync_with_protos(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_protos.py"), "--out", str(tmp_path)],
        check=True,
    )
    committed, fresh = ROOT / "gen", tmp_path
    assert _files(committed) == _files(fresh), "run scripts/gen_protos.py: files differ"
    stale = [
        f for f in sorted(_files(fresh)) if not filecmp.cmp(committed / f, fresh / f, shallow=False)
    ]
    assert not stale, f"run scripts/gen_protos.py: {stale} are out of date"


def test_generated_package_imports_by_its_proto_package() -> None:
    from lifeline.hub.v1 import case_service_pb2

    assert case_service_pb2.DESCRIPTOR.package == "lifeline.hub.v1"


def test_buf_lint_is_clean() -> None:
    npx = shutil.which("npx")
    if npx is None:
        if os.environ.get("CI"):
            pytest.fail("npx is needed for buf lint; CI never skips it")
        pytest.skip("npx (Node.js) is not installed; buf lint needs it")
    result = subprocess.run(
        [npx, "--yes", "@bufbuild/buf", "lint"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
