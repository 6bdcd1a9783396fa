"""InboxService: a party's messages from a cursor, then live, until it hangs up, the
connection reaches its age, or the party is cut off (hub/api/sessions.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from lifeline.hub.v1 import inbox_service_pb2 as pb
from lifeline.hub.v1 import inbox_service_pb2_grpc

from hub.api import auth
from hub.api.sessions import Sessions
from hub.cases import inbox as inbox_use
from hub.cases.unit import Cases


class InboxService(inbox_service_pb2_grpc.InboxServiceServicer):
    def __init__(self, cases: Cases, sessions: Sessions) -> None:
        self._cases = cases
        self._sessions = sessions

    async def SubscribeInbox(
        self, request: pb.SubscribeInboxRequest, context: Any
    ) -> AsyncIterator[pb.SubscribeInboxResponse]:
        caller = auth.caller()
        doorbell = self._cases.doorbell
        # Registered before the first read, so a message written in between still rings.
        bell = doorbell.register(caller.party_id)
        try:
            with self._sessions.open(caller.party_id, auth.caller_certificate(), bell) as stream:
                cursor = await inbox_use.start(self._cases, caller, request.after_sequence)
                while not doorbell.closed.is_set():
                    stream.check()
                    rows = await inbox_use.read(self._cases, caller, cursor)
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
        mark = await inbox_use.acknowledge(self._cases, auth.caller(), request.through_sequence)
        return pb.AcknowledgeInboxResponse(acknowledged_sequence=mark)
