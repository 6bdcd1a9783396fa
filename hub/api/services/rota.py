"""RotaService: the duty desk's on-call rota, read-only (`lifeline rota` writes it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lifeline.hub.v1 import rota_service_pb2 as pb
from lifeline.hub.v1 import rota_service_pb2_grpc

from hub.api import auth
from hub.api.services.party import page_size
from hub.domain import errors
from hub.domain.clock import Clock
from hub.domain.page_tokens import PageTokens
from hub.domain.timestamps import timestamp
from hub.store import rota
from hub.store.db import Database
from hub.store.models import RotaShiftRow

DEFAULT_WINDOW = dt.timedelta(hours=48)


def shift_to_proto(row: RotaShiftRow) -> pb.Shift:
    return pb.Shift(
        shift_id=row.shift_id,
        party_id=row.party_id,
        backup_party_id=row.backup_party_id or "",
        start_time=timestamp(row.start_time),
        end_time=timestamp(row.end_time),
        time_zone=row.timezone,
    )


class RotaService(rota_service_pb2_grpc.RotaServiceServicer):
    def __init__(self, db: Database, clock: Clock, page_tokens: PageTokens) -> None:
        self._db = db
        self._clock = clock
        self._page_tokens = page_tokens

    async def ListShifts(
        self, request: pb.ListShiftsRequest, context: Any
    ) -> pb.ListShiftsResponse:
        start = (
            request.start_time.ToDatetime(dt.UTC)
            if request.HasField("start_time")
            else self._clock.now()
        )
        end = (
            request.end_time.ToDatetime(dt.UTC)
            if request.HasField("end_time")
            else start + DEFAULT_WINDOW
        )
        if end < start:
            raise errors.invalid_argument("end_time is before start_time", "end_time")
        caller = auth.caller().party_id
        size = page_size(request.page_size, 50, 500)
        after = self._page_tokens.after(caller, request)
        rows = await self._db.run(lambda s: rota.shifts(s, start, end, after=after, limit=size + 1))
        token = (
            self._page_tokens.next(caller, request, rows[size - 1].shift_id)
            if len(rows) > size
            else ""
        )
        return pb.ListShiftsResponse(
            shifts=[shift_to_proto(r) for r in rows[:size]], next_page_token=token
        )
