"""The gate every call passes: who is calling, may they, and is the request sane.

The TLS handshake (grpc core) already refused callers without a certificate from
the hub's CA, and expired ones. Everything after the handshake is here, in one
interceptor: the party identity from the SAN URI, the revocation list, the
registry (first contact, deactivation), the role table, the request size limit,
every field of the request against its limit (hub/domain/validation.py), and turning
every refusal into a status with a stable ErrorInfo reason. A stack trace never
leaves the hub; it goes to the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import grpc
from cryptography import x509
from google.protobuf import any_pb2
from google.protobuf.message import DecodeError
from google.rpc import error_details_pb2, status_pb2

from hub.api import permissions, status
from hub.domain import admission, errors, validation
from hub.domain.clock import Clock
from hub.domain.errors import HubError
from hub.runtime.metrics import HubMetrics
from hub.store import revocation
from hub.store.fair_share import FairShare
from hub.store.models import PartyRow
from hub.store.registry import PartyRegistry
from hub.store.revocation import RevocationList
from wire import reasons
from wire.identity import IdentityError, MissingIdentityError, PartyIdentity

log = logging.getLogger(__name__)

# Requests above this size are refused with MESSAGE_TOO_LARGE. A case message is
# text and references; 256 KiB is far above any real one.
MAX_REQUEST_BYTES = 256 * 1024

_caller: contextvars.ContextVar[PartyIdentity] = contextvars.ContextVar("lifeline_caller")
_caller_certificate: contextvars.ContextVar[x509.Certificate] = contextvars.ContextVar(
    "lifeline_caller_certificate"
)
_caller_party: contextvars.ContextVar[PartyRow] = contextvars.ContextVar("lifeline_caller_party")


def caller() -> PartyIdentity:
    """The authenticated party behind the current call."""
    return _caller.get()


def caller_party() -> PartyRow:
    """The caller's registry row as the gate admitted it: what the registry's cache held
    (hub/store/registry.py), so as fresh as the gate's own decision to let the call in."""
    return _caller_party.get()


def caller_certificate() -> x509.Certificate:
    """The certificate the current caller presented: its case messages must be signed with it."""
    return _caller_certificate.get()


@dataclass(frozen=True, slots=True)
class _PeerCertificate:
    identity: PartyIdentity
    certificate: x509.Certificate
    serial: int
    not_after: dt.datetime


@dataclass(frozen=True, slots=True)
class _BadRequest:
    """Stands in for a request that could not be accepted, so the handler can refuse it."""

    error: HubError


@functools.lru_cache(maxsize=65536)
def _peer_certificate(pem: bytes) -> _PeerCertificate | HubError:
    """Parses a peer certificate once; connections present the same one on every call."""
    try:
        cert = x509.load_pem_x509_certificate(pem)
        identity = PartyIdentity.from_certificate(cert)
    except MissingIdentityError as e:
        return HubError(reasons.PARTY_IDENTITY_MISSING, str(e))
    except (IdentityError, ValueError, x509.InvalidVersion) as e:
        return HubError(reasons.PARTY_IDENTITY_INVALID, str(e))
    return _PeerCertificate(identity, cert, cert.serial_number, cert.not_valid_after_utc)


def status_metadata(error: HubError) -> tuple[tuple[str, bytes], ...]:
    """The google.rpc.Status for a refusal, as the trailing metadata gRPC carries it in."""
    info = error_details_pb2.ErrorInfo(
        reason=error.reason, domain=reasons.ERROR_DOMAIN, metadata=error.metadata
    )
    detail = any_pb2.Any()
    detail.Pack(info)
    details = status_pb2.Status(
        code=status.code_of(error).value[0], message=error.message, details=[detail]
    )
    if error.retry_after is not None:
        retry = error_details_pb2.RetryInfo()
        retry.retry_delay.FromNanoseconds(int(error.retry_after * 1e9))
        details.details.add().Pack(retry)
    return (("grpc-status-details-bin", details.SerializeToString()),)


async def _refuse(context: grpc.aio.ServicerContext[Any, Any], error: HubError) -> None:
    await context.abort(status.code_of(error), error.message, status_metadata(error))


async def _refused(
    method: str, context: grpc.aio.ServicerContext[Any, Any], error: HubError
) -> None:
    """Refuses a call, and says so in one line: a refusal is routine (bad input, a
    revoked desk), so no stack, but an operator can see who was refused and why."""
    who = _caller.get(None)
    log.info(
        "refused %s: %s",
        method,
        error.message,
        extra={
            "event": "refusal",
            "method": method,
            "reason": error.reason,
            "status": status.code_of(error).name,
            "party_id": who.party_id if who else None,
        },
    )
    await _refuse(context, error)


_INTERNAL = HubError(reasons.INTERNAL, "the hub failed to handle the call; it is logged")
_SHUTTING_DOWN = HubError(
    reasons.HUB_SHUTTING_DOWN,
    "the hub stopped before this call finished; it may or may not have been carried out:"
    " send it again with the same request_id, here or to another hub",
)


class Gate(grpc.aio.ServerInterceptor):
    def __init__(
        self,
        revocations: RevocationList,
        registry: PartyRegistry,
        clock: Clock,
        metrics: HubMetrics,
        max_calls_in_flight: int,
    ) -> None:
        self._revocations = revocations
        self._registry = registry
        self._clock = clock
        self._metrics = metrics
        self._max_in_flight = max_calls_in_flight
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._cutting = False
        self._share = FairShare()
        # Each method's handler, wrapped with the gate: built on its first call, not on
        # every call (a service's handler for a method never changes).
        self._gated: dict[str, grpc.RpcMethodHandler] = {}

    async def authenticate(
        self, method: str, context: grpc.aio.ServicerContext[Any, Any]
    ) -> _PeerCertificate:
        pems = context.auth_context().get("x509_pem_cert")
        if not pems:
            raise HubError(
                reasons.CLIENT_CERTIFICATE_REQUIRED,
                "a client certificate from the hub's CA is required",
            )
        peer = _peer_certificate(next(iter(pems)))
        if isinstance(peer, HubError):
            raise peer
        # Known from here on, if only to name the party in the log line of its refusal.
        _caller.set(peer.identity)
        if peer.not_after <= self._clock.now():
            raise revocation.expired()
        if self._revocations.is_revoked(peer.serial):
            raise revocation.revoked(peer.identity.party_id, format(peer.serial, "x"))
        _caller_party.set(await self._registry.admit(peer.identity, peer.serial))
        if not permissions.allowed(method, peer.identity.role):
            raise HubError(
                reasons.ROLE_NOT_PERMITTED,
                f"a {peer.identity.role} party may not call {method}",
                {"role": peer.identity.role.value, "method": method},
            )
        return peer

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        method = handler_call_details.method
        gated = self._gated.get(method)
        if gated is not None:
            return gated
        handler = await continuation(handler_call_details)
        if handler is None or permissions.is_open(method):
            return handler
        gated = self._gated[method] = self._wrap(method, handler)
        return gated

    def _wrap(self, method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        deserialize = _limited(handler.request_deserializer)
        serialize = handler.response_serializer
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(method, handler.unary_unary), deserialize, serialize
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._stream(method, cast(Any, handler.unary_stream)), deserialize, serialize
            )
        # The v1 API has no client-streaming RPCs; refuse rather than run one unchecked.
        raise RuntimeError(f"{method}: client-streaming RPCs are not supported by the gate")

    async def _admit(self, method: str, context: grpc.aio.ServicerContext[Any, Any]) -> str:
        """Authenticates the caller; returns its party id."""
        peer = await self.authenticate(method, context)
        _caller_certificate.set(peer.certificate)
        return peer.identity.party_id

    @staticmethod
    def _check(request: Any) -> None:
        if isinstance(request, _BadRequest):
            raise request.error
        validation.check_request(request)

    def _unary(self, method: str, behavior: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        calls = self._calls(method)

        async def call(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            async with self._answering(method, context, calls):
                party_id = await self._admit(method, context)
                with self._admitted(method, request):
                    # Checked in the party's turn: a flood's checks wait behind the flood.
                    async with self._share.turn(party_id):
                        self._check(request)
                        return await behavior(request, context)

        return call

    def _stream(
        self, method: str, behavior: Callable[..., AsyncIterator[Any]]
    ) -> Callable[..., Any]:
        calls = self._calls(method)

        async def call(
            request: Any, context: grpc.aio.ServicerContext[Any, Any]
        ) -> AsyncIterator[Any]:
            async with self._answering(method, context, calls):
                await self._admit(method, context)
                self._check(request)
                self._metrics.open_streams.inc()
                try:
                    async for response in behavior(request, context):
                        yield response
                finally:
                    self._metrics.open_streams.dec()

        return call

    @contextlib.asynccontextmanager
    async def _answering(
        self,
        method: str,
        context: grpc.aio.ServicerContext[Any, Any],
        calls: Callable[[grpc.StatusCode], None],
    ) -> AsyncIterator[None]:
        """How every gated call ends: a refusal with its reason, the shutdown's cut as
        UNAVAILABLE, anything unexpected as INTERNAL (logged); each counted by its code."""
        code = grpc.StatusCode.OK
        try:
            yield
        except HubError as e:
            code = status.code_of(e)
            await _refused(method, context, e)
        except grpc.aio.AbortError:
            code = context.code() or grpc.StatusCode.UNKNOWN
            raise
        except GeneratorExit:  # a stream's client went away: nothing more may be sent
            code = grpc.StatusCode.CANCELLED
            raise
        except asyncio.CancelledError:
            if not self._cutting:
                code = grpc.StatusCode.CANCELLED
                raise
            code = grpc.StatusCode.UNAVAILABLE
            await _refuse(context, _SHUTTING_DOWN)
        except Exception:
            code = grpc.StatusCode.INTERNAL
            log.exception("%s failed", method)
            await _refuse(context, _INTERNAL)
        finally:
            calls(code)

    @property
    def in_flight(self) -> int:
        """Unary calls admitted and not yet answered."""
        return len(self._in_flight)

    async def drain(self, seconds: float) -> None:
        """On shutdown: lets the calls in flight finish for up to `seconds`, then cuts the
        rest, each ending UNAVAILABLE (HUB_SHUTTING_DOWN) rather than the bare CANCELLED a
        server's stop gives them: their outcome is unknown, and a client sends them again
        with the same request_id, here or to another replica."""
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=seconds)
        self._cutting = True
        left = set(self._in_flight)
        for task in left:
            task.cancel()
        if left:
            await asyncio.wait(left)

    @contextlib.contextmanager
    def _admitted(self, method: str, request: Any) -> Iterator[None]:
        """Counts the call in flight; past the bound, refuses it if it may wait."""
        if (
            len(self._in_flight) >= self._max_in_flight
            and not isinstance(request, _BadRequest)
            and admission.may_wait(method, request)
        ):
            raise HubError(
                reasons.HUB_OVERLOADED,
                f"the hub is at its bound of {self._max_in_flight} calls in flight;"
                f" send this again in {admission.RETRY_AFTER_SECONDS:g} s",
                retry_after=admission.RETRY_AFTER_SECONDS,
            )
        task = asyncio.current_task()
        assert task is not None
        self._in_flight.add(task)
        try:
            yield
        finally:
            self._in_flight.discard(task)

    def _calls(self, method: str) -> Callable[[grpc.StatusCode], None]:
        """Counts a method's calls by how they ended (the label children made once)."""
        name = method.rpartition(".")[2]  # "CaseService/ReportSignal"
        children: dict[grpc.StatusCode, Any] = {}

        def count(code: grpc.StatusCode) -> None:
            child = children.get(code)
            if child is None:
                child = children[code] = self._metrics.calls.labels(name, code.name)
            child.inc()

        return count


def _limited(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any]:
    """Checks size and decodes, turning failures into a _BadRequest for the handler to refuse."""
    assert deserializer is not None

    def deserialize(data: bytes) -> Any:
        if len(data) > MAX_REQUEST_BYTES:
            return _BadRequest(
                HubError(
                    reasons.MESSAGE_TOO_LARGE,
                    f"the request is {len(data)} bytes; the limit is {MAX_REQUEST_BYTES}",
                    {"limit_bytes": str(MAX_REQUEST_BYTES)},
                )
            )
        try:
            return deserializer(data)
        except DecodeError:
            return _BadRequest(
                errors.invalid_argument("the request is not a valid protobuf message", "request")
            )

    return deserialize
