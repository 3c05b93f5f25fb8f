"""Pagination of list queries: `?page=&per_page=` (default 50, at most 500) and a total count."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import Select, func, select

from central.core.exceptions import N_, ValidationError
from central.extensions import db

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _positive_int(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(
            N_("The page number and page size must be whole numbers."),
            fields={name: N_("Not a whole number.")},
        ) from None
    if value < 1:
        raise ValidationError(
            N_("The page number and page size must be at least 1."),
            fields={name: N_("At least 1.")},
        )
    return value


def page_args(default_per_page: int = DEFAULT_PER_PAGE) -> tuple[int, int]:
    """Read and check `page` and `per_page` from the query string."""
    page = _positive_int("page", 1)
    per_page = _positive_int("per_page", default_per_page)
    if per_page > MAX_PER_PAGE:
        raise ValidationError(
            N_("A page holds at most 500 items (per_page)."),
            fields={"per_page": N_("At most 500.")},
        )
    return page, per_page


def paginate(stmt: Select, *, scalars: bool = True, per_page: int | None = None) -> Page:
    """Run `stmt` for the requested page and count its total in one extra query."""
    page, size = page_args(per_page or DEFAULT_PER_PAGE)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    offset = (page - 1) * size
    if offset >= (total or 0):
        # Past the last page: empty, without asking the database for an offset it may not hold
        # (PostgreSQL's OFFSET is a bigint; any page number is accepted here).
        return Page(items=[], total=total or 0, page=page, per_page=size)
    result = db.session.execute(stmt.limit(size).offset(offset))
    items = list(result.scalars() if scalars else result)
    return Page(items=items, total=total or 0, page=page, per_page=size)
