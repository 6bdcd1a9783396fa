"""The duty desk's board: open cases, most urgent first, live."""

from __future__ import annotations

from starlette.responses import Response

from console.web import View, page


async def _cases(view: View) -> list[object]:
    return list(await view.link.duty_desk.case_board())


async def board_page(view: View) -> Response:
    return view.render("board.html", cases=await _cases(view))


async def _live(view: View) -> Response:
    return view.render("_board_live.html", cases=await _cases(view))


ROUTES = [page("/board/live", _live)]
