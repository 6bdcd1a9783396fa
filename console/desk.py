"""A desk's own work (police, committee, courier, hospital, merchant), by time left."""

from __future__ import annotations

from starlette.responses import Response

from console.web import View, page


async def desk_page(view: View) -> Response:
    return view.render("desk.html", work=await view.link.desk.open_work())


async def _live(view: View) -> Response:
    return view.render("_desk_live.html", work=await view.link.desk.open_work())


ROUTES = [page("/desk/live", _live)]
