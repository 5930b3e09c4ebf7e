"""The simulated world every domain's simulator draws from: where customers and attackers are.

Shared so that a customer's home is the same country in the login and the order traffic of
one demo shop, without one domain importing another's internals.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol, TypeVar


class Simulated(Protocol):
    @property
    def event(self) -> dict[str, Any]: ...


S = TypeVar("S", bound=Simulated)


def in_window(traffic: Iterable[S], end: datetime) -> list[S]:
    """Simulated events in time order (ties by id), without those at or after ``end``.

    Attacks that start near the end run past it; what happens after the window is unseen.
    """
    timed = [(datetime.fromisoformat(s.event["occurred_at"]), s) for s in traffic]
    timed.sort(key=lambda pair: (pair[0], pair[1].event["id"]))
    return [s for at, s in timed if at < end]


# Where the shop's customers live (weight ~ share of customers) and first octets of IPv4
# blocks that regional registries allocated there. Plausible, not a geolocation database.
# Only /8s with no private, shared, link-local or documentation block inside them (so not
# 0, 10, 100, 127, 169, 172, 192, 198, 203 or 224 and up): every address drawn is public.
CUSTOMER_COUNTRIES: dict[str, tuple[float, tuple[int, ...]]] = {
    "US": (20, (24, 50, 66, 67, 68, 71, 72, 73, 75, 76, 97, 98, 99)),
    "DE": (8, (77, 79, 84, 87, 91, 93)),
    "GB": (7, (81, 82, 86, 90, 92)),
    "FR": (6, (78, 80, 83, 88)),
    "CN": (6, (58, 59, 60, 61, 114, 115)),
    "JP": (5, (126, 133, 153, 180, 219)),
    "CA": (4, (70, 142, 174)),
    "AU": (3, (101, 121, 124)),
    "BR": (3, (177, 179, 191, 200)),
    "IN": (3, (49, 106, 117, 122, 182)),
    "KR": (2, (175, 211, 218)),
    "ES": (2, (83, 88, 95)),
    "IT": (2, (79, 87, 151)),
    "NL": (2, (145, 213)),
    "MX": (2, (187, 189, 201)),
    "PL": (1.5, (83, 89)),
    "SE": (1, (78, 81, 90)),
    "CH": (1, (85, 178)),
    "TR": (1, (78, 85, 88)),
    "AE": (1, (5, 94)),
    "SA": (1, (37, 188)),
    "SG": (1, (116, 119)),
    "HK": (1, (112, 113)),
    "TW": (1, (111, 118)),
    "ID": (1, (103, 139)),
    "ZA": (0.7, (41, 196)),
    "NG": (0.5, (102, 105, 197)),
    "VN": (0.5, (14, 27)),
    "TH": (0.5, (171, 223)),
    "AR": (0.5, (181, 186, 190)),
    "CL": (0.5, (152, 191)),
    "IL": (0.5, (31, 79)),
}
# Where attack traffic comes from: rented servers and proxies, rarely the victim's country.
ATTACK_ORIGINS: dict[str, tuple[int, ...]] = {
    "RU": (5, 31, 37, 46, 95),
    "NL": (185, 193),
    "US": (45, 104, 107, 162),
    "DE": (116, 136, 159),
    "VN": (14, 113),
    "BR": (138, 170),
    "CN": (42, 47, 120),
    "SG": (128, 165),
}
