"""InboxService: a party's messages from a cursor, then live, until it hangs up, the
connection reaches its age, or the party is cut off (hub/sessions.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from lifeline.hub.v1 import inbox_service_pb2 as pb
from lifeline.hub.v1 import inbox_service_pb2_grpc

from hub import auth
from hub.engine import CaseEngine
from hub.sessions import Sessions


class InboxService(inbox_service_pb2_grpc.InboxServiceServicer):
    def __init__(self, engine: CaseEngine, sessions: Sessions) -> None:
        self._engine = engine
        self._sessions = sessions

    async def SubscribeInbox(
        self, request: pb.SubscribeInboxRequest, context: Any
    ) -> AsyncIterator[pb.SubscribeInboxResponse]:
        caller = auth.caller()
        doorbell = self._engine.doorbell
        # Registered before the first read, so a message written in between still rings.
        bell = doorbell.register(caller.party_id)
        try:
            with self._sessions.open(caller.party_id, auth.caller_certificate(), bell) as stream:
                cursor = await self._engine.inbox_start(caller, request.after_sequence)
                while not doorbell.closed.is_set():
                    stream.check()
                    rows = await self._engine.inbox_read(caller, cursor)
                    for row in rows:
                        stream.check()
                        message = pb.InboxMessage.FromString(row.payload)
                        yield pb.SubscribeInboxResponse(message=message)
                        cursor = row.sequence
                    if not rows:
                        await doorbell.wait(bell)
        finally:
            doorbell.unregister(caller.party_id, bell)

    async def AcknowledgeInbox(
        self, request: pb.AcknowledgeInboxRequest, context: Any
    ) -> pb.AcknowledgeInboxResponse:
        mark = await self._engine.inbox_acknowledge(auth.caller(), request.through_sequence)
        return pb.AcknowledgeInboxResponse(acknowledged_sequence=mark)
