"""The wire package: shared by the hub and the SDK, importing neither, so that a
partner runs the SDK without the server's packages."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from enum import IntEnum
from pathlib import Path

import pytest
from google.protobuf.descriptor import EnumDescriptor, FileDescriptor
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper
from lifeline.hub.v1 import case_pb2, handoff_pb2, inbox_service_pb2, party_pb2, signed_pb2

from wire import enums
from wire.identity import Role
from wire.outcomes import ASSIGNEE_ROLES, OUTCOMES, outcomes_for

ROOT = Path(__file__).resolve().parent.parent
WIRE_MODULES = sorted(
    f"wire.{p.stem}" for p in (ROOT / "wire").glob("*.py") if p.stem != "__init__"
)


def _run_without(blocked: list[str], body: str) -> subprocess.CompletedProcess[str]:
    """Runs `body` in a fresh interpreter in which importing any of `blocked` (or a
    submodule of one) raises ImportError, as it would where they are not installed."""
    script = textwrap.dedent(
        f"""
        import importlib.abc, sys

        BLOCKED = {blocked!r}

        class Absent(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError(f"{{name}} is not installed here")
                return None

        sys.meta_path.insert(0, Absent())
        """
    ) + textwrap.dedent(body)
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_wire_imports_neither_the_hub_nor_the_sdk() -> None:
    done = _run_without(
        ["hub", "connectors", "console", "sqlalchemy", "sqlmodel", "grpc"],
        f"""
        import importlib
        for name in {WIRE_MODULES!r}:
            importlib.import_module(name)
        print("ok")
        """,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_the_sdk_works_without_the_server(certs_dir: Path) -> None:
    done = _run_without(
        ["hub", "console", "sqlalchemy", "sqlmodel", "alembic", "apscheduler", "starlette"],
        f"""
        import asyncio, pathlib
        import connectors, wire
        from connectors import ConnectorConfig, HubClient
        from connectors import courier, desk, desk_cli, duty_desk, hospital, merchant, sync

        async def main():
            certs = pathlib.Path({str(certs_dir)!r})
            client = HubClient(ConnectorConfig.for_party(certs, "shop-1", "127.0.0.1:1"))
            await client.close()

        asyncio.run(main())
        print("ok")
        """,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


@pytest.mark.parametrize(
    ("wrapper", "proto"),
    [
        (enums.RiskLevel, case_pb2.RiskLevel),
        (enums.SignalSource, case_pb2.SignalSource),
        (enums.CaseState, case_pb2.Case.State),
        (enums.ResolutionCode, case_pb2.CaseResolution.Code),
        (enums.CaseEventKind, case_pb2.CaseEvent.Kind),
        (enums.HandoffKind, handoff_pb2.HandoffKind),
        (enums.HandoffState, handoff_pb2.Handoff.State),
        (enums.DutyAlertReason, handoff_pb2.DutyAlertReason),
        (enums.ProgressStage, handoff_pb2.ProgressStage),
        (enums.OutcomeCode, handoff_pb2.OutcomeCode),
        (enums.PartyRole, party_pb2.Role),
        (enums.PartyState, party_pb2.Party.State),
        (enums.MessageKind, signed_pb2.SignedPayload.Kind),
        (enums.CaseUpdateKind, inbox_service_pb2.CaseUpdate.Kind),
    ],
)
def test_each_enum_wrapper_has_exactly_the_protos_names_and_numbers(
    wrapper: type[IntEnum], proto: EnumTypeWrapper
) -> None:
    values = proto.DESCRIPTOR.values
    prefix = _common_prefix([v.name for v in values])
    assert {m.name: m.value for m in wrapper} == {
        v.name.removeprefix(prefix): v.number for v in values
    }


def test_every_proto_enum_has_a_wrapper() -> None:
    wrapped = {
        m.__doc__.split("(lifeline.hub.v1.")[1].split(")")[0]
        for m in vars(enums).values()
        if isinstance(m, type) and issubclass(m, IntEnum) and m is not IntEnum and m.__doc__
    }
    declared: set[str] = set()
    for module in (case_pb2, handoff_pb2, inbox_service_pb2, party_pb2, signed_pb2):
        declared |= {
            e.full_name.removeprefix("lifeline.hub.v1.") for e in _enums(module.DESCRIPTOR)
        }
    assert wrapped == declared


def test_a_wrapper_goes_where_the_proto_expects_its_enum() -> None:
    handoff = handoff_pb2.Handoff(kind=enums.HandoffKind.DISPATCH)  # type: ignore[arg-type]
    assert handoff.kind == handoff_pb2.HANDOFF_KIND_DISPATCH
    assert enums.HandoffKind(handoff.kind) is enums.HandoffKind.DISPATCH


def test_roles_and_their_proto_numbers_map_both_ways() -> None:
    for role in Role:
        assert Role.from_proto(role.proto) is role
        assert party_pb2.Role.Name(role.proto) == f"ROLE_{role.name}"
    assert Role.from_proto(party_pb2.ROLE_UNSPECIFIED) is None
    assert Role.from_proto(99) is None


def test_a_role_reports_the_outcomes_of_the_work_it_takes() -> None:
    assert outcomes_for(Role.COURIER) == sorted(OUTCOMES[handoff_pb2.HANDOFF_KIND_INTERCEPT_PARCEL])
    assert set(outcomes_for(Role.PLATFORM)) == set(enums.OutcomeCode) - {
        enums.OutcomeCode.UNSPECIFIED
    }
    assert (
        set(OUTCOMES)
        == set(ASSIGNEE_ROLES)
        == set(enums.HandoffKind) - {enums.HandoffKind.UNSPECIFIED}
    )


def _common_prefix(names: list[str]) -> str:
    unspecified = next(n for n in names if n.endswith("UNSPECIFIED"))
    return unspecified.removesuffix("UNSPECIFIED")


def _enums(file: FileDescriptor) -> list[EnumDescriptor]:
    found = list(file.enum_types_by_name.values())
    stack = list(file.message_types_by_name.values())
    while stack:
        message = stack.pop()
        found.extend(message.enum_types)
        stack.extend(message.nested_types)
    return found
