"""The parties' rows as the use cases read them: by id, the desks of a role, the
duty desk's members, who is on a case."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from hub.store import db
from hub.store.models import CasePartyRow, PartyRow
from hub.store.registry import ACTIVE
from wire.identity import Role

_PARTIES = db.table(PartyRow)
_MEMBERS = db.table(CasePartyRow)
_PLATFORM_IDS = sa.select(_PARTIES.c.party_id).where(
    _PARTIES.c.role == Role.PLATFORM.value, _PARTIES.c.state == ACTIVE
)


@functools.cache
def _desks(count: int) -> SelectOfScalar[PartyRow]:
    return select(PartyRow).where(
        col(PartyRow.role) == sa.bindparam("role"),
        PartyRow.state == ACTIVE,
        db.in_list(_PARTIES.c.jurisdiction_code, "code", count),
    )


_PARTICIPANTS = (
    sa.select(_PARTIES.c.party_id)
    .join(_MEMBERS, _MEMBERS.c.party_id == _PARTIES.c.party_id)
    .where(
        _MEMBERS.c.case_id == sa.bindparam("case_id"),
        _PARTIES.c.role.in_(sa.bindparam("roles", expanding=True)),
    )
)
_PLATFORM = (
    select(PartyRow)
    .where(PartyRow.role == Role.PLATFORM.value, PartyRow.state == ACTIVE)
    .order_by(col(PartyRow.party_id))
)
_FIRST_PLATFORM = _PLATFORM.limit(1)
_ROLE = sa.select(_PARTIES.c.role).where(_PARTIES.c.party_id == sa.bindparam("party_id"))
_MEMBER = sa.select(_MEMBERS.c.party_id).where(
    _MEMBERS.c.case_id == sa.bindparam("case_id"), _MEMBERS.c.party_id == sa.bindparam("party_id")
)


def get(session: Session, party_id: str) -> PartyRow | None:
    return session.get(PartyRow, party_id)


def role(session: Session, party_id: str) -> str | None:
    """A party's role (a plain read, no row object built: asked for every reader of
    every event)."""
    return db.read(session, _ROLE, {"party_id": party_id}).scalar()


def platform_ids(session: Session) -> list[str]:
    """The active duty desk's party ids (a plain read: parties are not written in a unit
    that asks this)."""
    return list(db.read(session, _PLATFORM_IDS).scalars())


def first_platform(session: Session) -> PartyRow | None:
    return session.exec(_FIRST_PLATFORM).first()


def platform(session: Session) -> Sequence[PartyRow]:
    """The active duty desk's parties, by id."""
    return session.exec(_PLATFORM).all()


def desks(session: Session, role: Role, codes: Sequence[str]) -> list[PartyRow]:
    """The active desks of a role in these jurisdictions (parties are not written in a
    unit that asks this: nothing to flush first)."""
    params = {"role": role.value, **db.in_values("code", codes)}
    with session.no_autoflush:
        return list(session.exec(_desks(len(codes)), params=params))


def ids_in_jurisdiction(session: Session, role: str, code: str) -> list[str]:
    """The active parties of a role with exactly this jurisdiction code, by id."""
    return list(
        session.exec(
            select(PartyRow.party_id)
            .where(
                PartyRow.role == role,
                PartyRow.state == ACTIVE,
                PartyRow.jurisdiction_code == code,
            )
            .order_by(col(PartyRow.party_id))
        )
    )


def roles(session: Session) -> dict[str, Role]:
    """Every party's role, by party id."""
    return {p.party_id: Role(p.role) for p in session.exec(select(PartyRow))}


def participants(session: Session, case_id: str, roles: set[Role]) -> list[str]:
    """The case's parties of these roles."""
    rows = db.read(session, _PARTICIPANTS, dict(case_id=case_id, roles=[r.value for r in roles]))
    return list(rows.scalars())


def is_member(session: Session, case_id: str, party_id: str) -> bool:
    return db.read(session, _MEMBER, dict(case_id=case_id, party_id=party_id)).first() is not None


def members(session: Session, case_id: str) -> list[str]:
    """The parties of a case."""
    return [
        m.party_id
        for m in session.exec(select(CasePartyRow).where(CasePartyRow.case_id == case_id))
    ]
