"""Which page answers which address: the platform gets the board, other desks their work."""

from __future__ import annotations

from starlette.responses import Response

from console import board, case_page, desk, handover
from console.web import View, page


async def _home(view: View) -> Response:
    return await (board.board_page(view) if view.link.is_platform else desk.desk_page(view))


ROUTES = [page("/", _home), *board.ROUTES, *case_page.ROUTES, *desk.ROUTES, *handover.ROUTES]
