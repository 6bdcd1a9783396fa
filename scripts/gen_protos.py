"""Regenerates the Python code for protos/ into gen/ (the one place it lives).

The output keeps the proto package as its import path (lifeline.hub.v1), so the
generated modules import each other without rewriting. Run it after any change
to protos/; tests/test_generated_code.py fails while gen/ is out of date.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"


def generate(out: Path) -> None:
    sources = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    well_known = str(resources.files("grpc_tools") / "_proto")
    generated = out / "lifeline"
    if generated.exists():
        shutil.rmtree(generated)
    out.mkdir(parents=True, exist_ok=True)
    # mypy-protobuf's plugin types the service stubs (grpc_tools' own *_pb2_grpc.py are
    # untyped); the hub and the SDK use grpc.aio only, so only the async signatures.
    grpc_stubs_plugin = Path(sys.executable).parent / "protoc-gen-mypy_grpc"
    status = protoc.main(
        [
            "grpc_tools.protoc",
            f"-I{PROTOS}",
            f"-I{well_known}",
            f"--python_out={out}",
            f"--pyi_out={out}",
            f"--grpc_python_out={out}",
            f"--plugin=protoc-gen-mypy_grpc={grpc_stubs_plugin}",
            "--mypy_grpc_opt=only_async,quiet",
            f"--mypy_grpc_out={out}",
            *sources,
        ]
    )
    if status != 0:
        sys.exit(f"protoc failed with status {status}")
    # Marks the generated tree as typed for mypy; nothing else is added by hand.
    for package in {p.parent for p in generated.rglob("*_pb2.py")}:
        (package / "py.typed").touch()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "gen", help="output root (default: gen/)"
    )
    generate(parser.parse_args().out)


if __name__ == "__main__":
    main()
