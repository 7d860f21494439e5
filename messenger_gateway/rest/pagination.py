"""Laravel's length-aware paginator envelope (search), with absolute links."""
from __future__ import annotations

import math
from typing import Any


def paginator(
    data: list[Any], *, total: int, page: int, per_page: int, path: str, extra_meta: dict[str, Any]
) -> dict[str, Any]:
    last_page = max(1, math.ceil(total / per_page))

    def url(n: int) -> str:
        return f"{path}?page={n}"

    first_item = (page - 1) * per_page + 1 if data else None
    links: list[dict[str, Any]] = [{"url": url(page - 1) if page > 1 else None, "label": "&laquo; Previous",
                                    "active": False}]
    links += [
        {"url": url(n), "label": n, "active": n == page} if isinstance(n, int) else {"url": None, "label": n, "active": False}
        for n in _window(page, last_page)
    ]
    links.append({"url": url(page + 1) if page < last_page else None, "label": "Next &raquo;", "active": False})
    return {
        "data": data,
        "links": {
            "first": url(1),
            "last": url(last_page),
            "prev": url(page - 1) if page > 1 else None,
            "next": url(page + 1) if page < last_page else None,
        },
        "meta": {
            "current_page": page,
            "from": first_item,
            "last_page": last_page,
            "links": links,
            "path": path,
            "per_page": per_page,
            "to": first_item + len(data) - 1 if first_item is not None else None,
            "total": total,
            **extra_meta,
        },
    }


def _window(page: int, last_page: int) -> list[int | str]:
    """Page numbers shown in meta.links: all of them when few, else Laravel's sliding window with "...". """
    if last_page <= 13:
        return list(range(1, last_page + 1))
    if page <= 8:
        return [*range(1, 11), "...", last_page - 1, last_page]
    if page > last_page - 8:
        return [1, 2, "...", *range(last_page - 9, last_page + 1)]
    return [1, 2, "...", *range(page - 3, page + 4), "...", last_page - 1, last_page]


MAX_PAGE = 1_000_000  # far past any list's end; a larger number would overflow the databases' 64-bit offsets


def page_number(raw: str | None) -> int:
    try:
        value = int(raw) if raw is not None and len(raw) <= 20 else 1 if raw is None else MAX_PAGE
    except ValueError:
        return 1
    return min(max(value, 1), MAX_PAGE)
