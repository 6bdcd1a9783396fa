"""HubClient: the generated stubs over one mutual-TLS channel, with typed errors."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar, cast

import grpc
from google.protobuf import timestamp_pb2
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from lifeline.hub.v1 import (
    case_pb2,
    case_service_pb2,
    case_service_pb2_grpc,
    handoff_pb2,
    handoff_service_pb2,
    handoff_service_pb2_grpc,
    inbox_service_pb2,
    inbox_service_pb2_grpc,
    party_pb2,
    party_service_pb2,
    party_service_pb2_grpc,
    rota_service_pb2_grpc,
)

from connectors.channel import load_party, secure_channel
from connectors.config import ConnectorConfig
from connectors.errors import (
    FailedPreconditionError,
    HubUnavailableError,
    InvalidArgumentError,
    from_rpc_error,
)
from connectors.failover import FailoverChannel
from wire import claims, reasons, signed
from wire.errors import LifelineError
from wire.requests import REQUEST_ID_MAX_LENGTH

log = logging.getLogger(__name__)

H = handoff_pb2.Handoff
HANDLER_ATTEMPTS = 3
"""How often work() runs a handler on one message before reporting it and moving on."""

Response = TypeVar(
    "Response",
    handoff_service_pb2.AcknowledgeHandoffResponse,
    handoff_service_pb2.DeclineHandoffResponse,
    handoff_service_pb2.CompleteHandoffResponse,
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def default_request_id(verb: str, handoff_id: str, operator: str = "") -> str:
    """The request_id of a verb on a handoff when the caller gives none: the same each
    time, so doing it again (a redelivered message handled again) is answered, not redone.
    Another operator's attempt is another request, so the hub answers it with the handoff
    as it is (see _once) instead of refusing a reused request_id."""
    said = f"-{hashlib.sha256(operator.encode()).hexdigest()[:12]}" if operator else ""
    readable = f"{verb}-{handoff_id}{said}"
    if len(readable) <= REQUEST_ID_MAX_LENGTH:
        return readable
    # No id the hub issues is this long: a digest keeps the request_id valid, so the
    # hub's refusal names handoff_id, the field that is wrong.
    return f"{verb}-{hashlib.sha256(handoff_id.encode()).hexdigest()[:32]}{said}"


def _refuse_unsignable_times(message: Message, path: str) -> None:
    """Refuses, before signing, a time beyond what a google.protobuf.Timestamp holds
    (years 1 to 9999, nanos 0 to 999,999,999): it cannot be put in a signed claim. The
    error is the one the hub gives such a time, naming the same field."""
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        items = value if field.is_repeated else [value]
        for i, item in enumerate(items):
            where = f"{path}.{field.name}" + (f"[{i}]" if field.is_repeated else "")
            if isinstance(item, timestamp_pb2.Timestamp):
                part = "nanos" if not 0 <= item.nanos <= 999_999_999 else "seconds"
                try:
                    item.ToJsonString()
                except ValueError as e:
                    raise InvalidArgumentError(
                        f"{where}.{part} is out of range: {e}",
                        code=grpc.StatusCode.INVALID_ARGUMENT,
                        reason=reasons.INVALID_ARGUMENT,
                        metadata={"field": f"{where}.{part}"},
                    ) from None
            elif isinstance(item, Message):
                _refuse_unsignable_times(item, where)


@dataclass(frozen=True)
class HandlerFailure:
    """An inbox message work()'s handler failed on `attempts` times; it was then skipped."""

    message: inbox_service_pb2.InboxMessage
    attempts: int
    error: Exception


async def _until(stream: AsyncGenerator[Any, None], stop: asyncio.Event) -> AsyncIterator[Any]:
    """The stream's items until `stop` is set, even while the stream is idle."""
    stopping = asyncio.ensure_future(stop.wait())
    try:
        while True:
            following = asyncio.ensure_future(anext(stream))
            done, _ = await asyncio.wait({following, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if following not in done:
                following.cancel()
                # Let the cancelled read finish before the stream is closed.
                with contextlib.suppress(asyncio.CancelledError, LifelineError):
                    await following
                return
            try:
                yield following.result()
            except StopAsyncIteration:
                return
    finally:
        stopping.cancel()
        await stream.aclose()


class _TypedErrors(grpc.aio.UnaryUnaryClientInterceptor):
    """Every unary call on the channel raises a typed LifelineError instead of grpc.RpcError,
    so the generated stubs keep their own types (request in, response out)."""

    async def intercept_unary_unary(
        self,
        # grpc-stubs types the continuation as returning the call; it returns an awaitable of it.
        continuation: Callable[[grpc.aio.ClientCallDetails, Any], Any],
        client_call_details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        try:
            call = await continuation(client_call_details, request)
            return await call
        except grpc.RpcError as e:
            raise from_rpc_error(e) from None


class HubClient:
    """One party's connection to the hub. Use as ``async with HubClient(config) as hub:``."""

    def __init__(self, config: ConnectorConfig) -> None:
        self.config = config
        files = load_party(config)
        self.signer = files.signer
        self._ca = files.ca
        self._credentials = files.credentials
        self.channel = FailoverChannel(
            config.addresses,
            lambda address: secure_channel(
                config, self._credentials, address, interceptors=[_TypedErrors()]
            ),
        )
        # Built once: the stubs call through the failover channel, whichever hub it is on.
        stubs = cast(grpc.aio.Channel, self.channel)
        self.cases = case_service_pb2_grpc.CaseServiceStub(stubs)
        self.handoffs = handoff_service_pb2_grpc.HandoffServiceStub(stubs)
        self.inbox = inbox_service_pb2_grpc.InboxServiceStub(stubs)
        self.parties = party_service_pb2_grpc.PartyServiceStub(stubs)
        self.rota = rota_service_pb2_grpc.RotaServiceStub(stubs)
        self._health = health_pb2_grpc.HealthStub(stubs)

    async def subscribe(
        self, after_sequence: int = 0
    ) -> AsyncGenerator[inbox_service_pb2.InboxMessage, None]:
        """This party's inbox from a cursor (0: after the last acknowledged), then live."""
        call = self.inbox.SubscribeInbox(
            inbox_service_pb2.SubscribeInboxRequest(after_sequence=after_sequence)
        )
        try:
            async for response in call:
                if response.message.HasField("handoff"):
                    self.verify_handoff(response.message)
                if response.message.HasField("case_update"):
                    self.verify_case_update(response.message.case_update)
                yield response.message
        except grpc.RpcError as e:
            raise from_rpc_error(e) from None
        finally:
            call.cancel()

    @property
    def party_id(self) -> str:
        """This party's id, from its certificate's SAN URI."""
        return self.signer.name

    def verify_handoff(self, message: inbox_service_pb2.InboxMessage) -> None:
        """Checks the hub's signature on a handoff and that its details are what was signed.

        Raises SignedMessageError; the message is then not acknowledged, and comes again.
        """
        verified = signed.verify(
            message.signed_handoff,
            ca=self._ca,
            kind=signed.KIND_HANDOFF,
            audience=self.party_id,
            now=_now(),
        )
        handoff = message.handoff
        if (
            verified.payload.issuer != signed.HUB
            or verified.payload.handoff_id != handoff.handoff_id
            or claims.details_from_claims(verified.claims) != handoff.details
            or verified.values(claims.HANDOFF_KIND) != [handoff_pb2.HandoffKind.Name(handoff.kind)]
            or claims.escalated_from_claims(verified.claims)
            != (handoff.escalated_from if handoff.HasField("escalated_from") else None)
        ):
            raise signed.SignedMessageError(
                reasons.SIGNED_CONTENT_MISMATCH,
                f"handoff {handoff.handoff_id} differs from what the hub signed",
            )

    def verify_case_update(self, update: inbox_service_pb2.CaseUpdate) -> None:
        """Checks the hub's signature on a case update and that its text, kind, author and
        grade are what the signed message discloses to this party.

        Raises SignedMessageError; the message is then not acknowledged, and comes again.
        """
        verified = signed.verify(
            update.signed_update,
            ca=self._ca,
            kind=signed.KIND_CASE_UPDATE,
            audience=self.party_id,
            now=_now(),
        )
        try:
            said = claims.case_update_from_claims(verified.claims)
        except ValueError:
            said = None
        plain = inbox_service_pb2.CaseUpdate(
            kind=update.kind,
            author_party_id=update.author_party_id,
            text=update.text,
            risk_level=update.risk_level,
        )
        if (
            verified.payload.issuer != signed.HUB
            or verified.payload.message_id != update.update_id
            or verified.payload.handoff_id != update.handoff_id
            or said != plain
        ):
            raise signed.SignedMessageError(
                reasons.SIGNED_CONTENT_MISMATCH,
                f"case update {update.update_id} differs from what the hub signed",
            )

    def _sign(self, kind: int, message_claims: list[signed.Claim], handoff_id: str = "") -> Any:
        return self.signer.sign(kind, signed.HUB, message_claims, _now(), handoff_id=handoff_id)

    async def report_signal(
        self,
        signal: case_pb2.Signal,
        request_id: str = "",
        case_id: str = "",
        *,
        operator: str = "",
    ) -> case_service_pb2.ReportSignalResponse:
        """Reports a signal, signed by this party; with a case_id, against that case (one
        this party is on, even closed) instead of the one the hub would match. Every verb's
        `operator` names the person at this party who acted; it is signed where the verb
        signs, and the timeline says "shop-1 (Li Wei)"."""
        _refuse_unsignable_times(signal, "signal")
        request = case_service_pb2.ReportSignalRequest(
            # One per report: sent again to another replica, it is answered, not taken twice.
            request_id=request_id or f"signal-{uuid.uuid4().hex}",
            case_id=case_id,
            signal=signal,
            signed_signal=self._sign(signed.KIND_SIGNAL, claims.signal_claims(signal, operator)),
            operator=operator,
        )
        return await self.cases.ReportSignal(request)

    async def _once(
        self,
        handoff_id: str,
        send: Callable[[], Awaitable[Response]],
        response_type: type[Response],
        done: Callable[[handoff_pb2.Handoff], bool],
    ) -> Response:
        """Sends a verb; if the hub finds the handoff already where the verb would put it
        (done before under another request_id), answers with the handoff as it is."""
        try:
            return await send()
        except FailedPreconditionError as e:
            if e.reason != reasons.ILLEGAL_TRANSITION:
                raise
            current = (
                await self.handoffs.GetHandoff(
                    handoff_service_pb2.GetHandoffRequest(handoff_id=handoff_id)
                )
            ).handoff
            if not done(current):
                raise
            return response_type(handoff=current)

    async def acknowledge_handoff(
        self, handoff_id: str, request_id: str = "", *, operator: str = ""
    ) -> handoff_service_pb2.AcknowledgeHandoffResponse:
        """Takes a handoff on, with a signed receipt; again is a no-op (see _once)."""
        request = handoff_service_pb2.AcknowledgeHandoffRequest(
            request_id=request_id or default_request_id("acknowledge", handoff_id, operator),
            handoff_id=handoff_id,
            receipt=self._sign(
                signed.KIND_ACKNOWLEDGEMENT, claims.acknowledgement_claims(operator), handoff_id
            ),
            operator=operator,
        )
        return await self._once(
            handoff_id,
            lambda: self.handoffs.AcknowledgeHandoff(request),
            handoff_service_pb2.AcknowledgeHandoffResponse,
            lambda h: h.state in (H.STATE_ACKNOWLEDGED, H.STATE_COMPLETED),
        )

    async def decline_handoff(
        self, handoff_id: str, reason: str, request_id: str = "", *, operator: str = ""
    ) -> handoff_service_pb2.DeclineHandoffResponse:
        """Refuses a handoff, with a signed reason; again is a no-op."""
        request = handoff_service_pb2.DeclineHandoffRequest(
            request_id=request_id or default_request_id("decline", handoff_id, operator),
            handoff_id=handoff_id,
            reason=reason,
            receipt=self._sign(
                signed.KIND_DECLINE, claims.decline_claims(reason, operator), handoff_id
            ),
            operator=operator,
        )
        return await self._once(
            handoff_id,
            lambda: self.handoffs.DeclineHandoff(request),
            handoff_service_pb2.DeclineHandoffResponse,
            lambda h: h.state == H.STATE_DECLINED,
        )

    async def complete_handoff(
        self,
        handoff_id: str,
        outcome: handoff_pb2.Outcome,
        request_id: str = "",
        *,
        operator: str = "",
    ) -> handoff_service_pb2.CompleteHandoffResponse:
        """Reports a handoff's outcome, with a signed receipt; the same outcome again is a
        no-op, another one is refused."""
        request = handoff_service_pb2.CompleteHandoffRequest(
            request_id=request_id or default_request_id("complete", handoff_id, operator),
            handoff_id=handoff_id,
            outcome=outcome,
            receipt=self._sign(
                signed.KIND_OUTCOME, claims.outcome_claims(outcome, operator), handoff_id
            ),
            operator=operator,
        )
        return await self._once(
            handoff_id,
            lambda: self.handoffs.CompleteHandoff(request),
            handoff_service_pb2.CompleteHandoffResponse,
            lambda h: h.state == H.STATE_COMPLETED and h.outcome.code == outcome.code,
        )

    async def report_progress(
        self,
        handoff_id: str,
        stage: int,
        note: str = "",
        request_id: str = "",
        *,
        operator: str = "",
    ) -> handoff_service_pb2.ReportProgressResponse:
        """Reports progress on acknowledged work (on the way, on scene), with a signed
        statement; the same report again is answered, not recorded twice."""
        said = hashlib.sha256(f"{stage}:{note}".encode()).hexdigest()[:16]
        request = handoff_service_pb2.ReportProgressRequest(
            request_id=request_id or default_request_id(f"progress-{said}", handoff_id, operator),
            handoff_id=handoff_id,
            stage=stage,  # type: ignore[arg-type]
            note=note,
            receipt=self._sign(
                signed.KIND_PROGRESS, claims.progress_claims(stage, note, operator), handoff_id
            ),
            operator=operator,
        )
        return await self.handoffs.ReportProgress(request)

    async def acknowledge_inbox(self, through_sequence: int) -> int:
        """Marks every message up to through_sequence received; returns the hub's mark."""
        response = await self.inbox.AcknowledgeInbox(
            inbox_service_pb2.AcknowledgeInboxRequest(through_sequence=through_sequence)
        )
        return int(response.acknowledged_sequence)

    async def whoami(self) -> party_pb2.Party:
        """The party the hub sees behind this connector's certificate."""
        response = await self.parties.GetCurrentParty(party_service_pb2.GetCurrentPartyRequest())
        return response.party

    async def serving(self, timeout: float = 5.0) -> bool:
        response = await self._health.Check(health_pb2.HealthCheckRequest(), timeout=timeout)
        return bool(response.status == health_pb2.HealthCheckResponse.SERVING)

    async def fail_over(self, stale: grpc.aio.Channel | None = None) -> None:
        """Moves to the next hub address (or reconnects to the only one); with `stale`,
        only if no call has moved on from that channel already."""
        self.channel.move_on(stale)
        await self.channel.close_retired()

    async def work(
        self,
        handle: Callable[[inbox_service_pb2.InboxMessage], Awaitable[None]],
        *,
        stop: asyncio.Event | None = None,
        max_backoff: float = 5.0,
        attempts: int = HANDLER_ATTEMPTS,
        on_failure: Callable[[HandlerFailure], Awaitable[None]] | None = None,
    ) -> None:
        """Hands every inbox message to `handle`, then acknowledges it; for ever, or until `stop`.

        Delivery is at least once: after a network cut or a hub restart it reconnects
        (trying each hub address in turn, with backoff) and resumes after the last
        message the hub recorded as acknowledged, so nothing is missed; a message
        handled but not yet acknowledged then comes again (within one work() call it
        is not handed over twice), and a handoff comes again each time its state
        changes. Handlers must be idempotent; the verbs (acknowledge, decline,
        complete) are. If `handle` raises HubUnavailableError, the message is handled
        again after the reconnect. If it raises anything else, it is run again, up to
        `attempts` times in all; then the failure is logged, given to `on_failure`,
        and the message is skipped and acknowledged: one message cannot stop the
        inbox, and the hub's deadlines still chase the handoff it carried. To stop
        instead, raise from `on_failure`. A message whose signature fails is not
        handled and not acknowledged, and ends work() with SignedMessageError.
        """
        stop = stop or asyncio.Event()
        backoff = 0.1
        handled = acknowledged = 0
        wanted = asyncio.Event()

        async def acknowledge() -> None:
            # One acknowledgement covers everything handled while the last one was in
            # flight: under load they coalesce, with no timer.
            nonlocal acknowledged
            while True:
                await wanted.wait()
                wanted.clear()
                if handled > acknowledged:
                    with contextlib.suppress(LifelineError):  # the next one covers it
                        acknowledged = await self.acknowledge_inbox(handled)

        acker = asyncio.create_task(acknowledge())
        try:
            while not stop.is_set():
                try:
                    reading = self.channel.current
                    stream = self.subscribe()
                    async for message in _until(stream, stop):
                        if message.sequence > handled:
                            await _deliver(message, handle, attempts, on_failure, max_backoff)
                            handled = message.sequence
                        wanted.set()
                        backoff = 0.1
                except HubUnavailableError as e:
                    if stop.is_set():
                        break
                    log.warning("the hub is unavailable (%s); reconnecting", e)
                    await asyncio.sleep(backoff)  # a reconnect backoff, not a wait for a result
                    backoff = min(backoff * 2, max_backoff)
                    await self.fail_over(reading)
        finally:
            acker.cancel()
            if handled > acknowledged:
                with contextlib.suppress(LifelineError, asyncio.CancelledError):
                    await self.acknowledge_inbox(handled)

    async def close(self) -> None:
        await self.channel.close(None)

    async def __aenter__(self) -> HubClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def _deliver(
    message: inbox_service_pb2.InboxMessage,
    handle: Callable[[inbox_service_pb2.InboxMessage], Awaitable[None]],
    attempts: int,
    on_failure: Callable[[HandlerFailure], Awaitable[None]] | None,
    max_backoff: float,
) -> None:
    """Runs the handler on one message by work()'s rule; HubUnavailableError passes up."""
    backoff = 0.1
    for attempt in range(1, attempts + 1):
        try:
            await handle(message)
            return
        except HubUnavailableError:
            raise
        except Exception as e:  # noqa: BLE001 - a handler's failure must not stop the inbox
            error = e
            log.warning(
                "handler failed on inbox message %d (attempt %d of %d)",
                message.sequence,
                attempt,
                attempts,
                exc_info=True,
            )
        if attempt < attempts:
            await asyncio.sleep(backoff)  # a retry backoff, not a wait for a result
            backoff = min(backoff * 2, max_backoff)
    log.error(
        "handler failed %d times on inbox message %d (handoff %s); skipping it",
        attempts,
        message.sequence,
        message.handoff.handoff_id or "-",
    )
    if on_failure is not None:
        await on_failure(HandlerFailure(message, attempts, error))
