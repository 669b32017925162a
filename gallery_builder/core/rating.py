"""Glicko-2 ratings of photos from pairwise comparisons (stdlib only): the update of one comparison
and the replay of a whole log. Each comparison is one rating period for its two photos (the way
chess servers give instant ratings); a photo's rating deviation is its confidence.
"""
from __future__ import annotations

import math
from typing import Iterable, NamedTuple

SCALE = 173.7178            # Glickman's factor between the Glicko and Glicko-2 scales
DEFAULT_RATING = 1500.0
DEFAULT_DEVIATION = 350.0   # an unrated photo: "anything between ~800 and ~2200"
DEFAULT_VOLATILITY = 0.06
TAU = 0.5                   # how fast volatility may change (Glickman suggests 0.3-1.2)
MIN_DEVIATION = 30.0        # a floor, so ratings never freeze after thousands of comparisons
_EPSILON = 1e-6             # convergence of the volatility iteration
_PI2 = math.pi * math.pi
_TAU2 = TAU * TAU
_exp, _log, _sqrt = math.exp, math.log, math.sqrt   # the replay of a million comparisons calls them ~10M times


class Rating(NamedTuple):
    """A photo's rating (Glicko scale), deviation (lower: surer) and volatility."""

    rating: float = DEFAULT_RATING
    deviation: float = DEFAULT_DEVIATION
    volatility: float = DEFAULT_VOLATILITY

    @property
    def confidence(self) -> float:
        """0 for an unrated photo, towards 1 as the deviation shrinks."""
        return max(0.0, min(1.0, 1.0 - self.deviation / DEFAULT_DEVIATION))


UNRATED = Rating()


def _g(phi: float) -> float:
    return 1.0 / _sqrt(1.0 + 3.0 * phi * phi / _PI2)


def expected_score(player: Rating, opponent: Rating) -> float:
    """The probability that `player` wins against `opponent` under Glicko-2."""
    mu, mu_j, phi_j = (player.rating - DEFAULT_RATING) / SCALE, (opponent.rating - DEFAULT_RATING) / SCALE, \
        opponent.deviation / SCALE
    return 1.0 / (1.0 + math.exp(-_g(phi_j) * (mu - mu_j)))


def _volatility(phi: float, sigma: float, delta: float, v: float) -> float:
    """Step 5 of Glickman's Glicko-2 paper: the new volatility (Illinois algorithm). `f` is written
    out at each use (the same operations in the same order as `_f`): a nested function per call
    cost a fifth of a million-comparison replay."""
    a = _log(sigma * sigma)
    phi2, delta2, tau2 = phi * phi, delta * delta, _TAU2
    spare = delta2 - phi2 - v          # delta2 - phi2 - v - ex == spare - ex
    base = phi2 + v                    # phi2 + v + ex == base + ex

    big_a = a
    if delta2 > phi2 + v:
        big_b = _log(delta2 - phi2 - v)
    else:
        k = 1
        while _f(a - k * TAU, a, spare, base, tau2) < 0:
            k += 1
        big_b = a - k * TAU
    ex = _exp(big_a)
    f_a = ex * (spare - ex) / (2.0 * (base + ex) ** 2) - (big_a - a) / tau2
    ex = _exp(big_b)
    f_b = ex * (spare - ex) / (2.0 * (base + ex) ** 2) - (big_b - a) / tau2
    while abs(big_b - big_a) > _EPSILON:
        c = big_a + (big_a - big_b) * f_a / (f_b - f_a)
        ex = _exp(c)
        f_c = ex * (spare - ex) / (2.0 * (base + ex) ** 2) - (c - a) / tau2
        if f_c * f_b <= 0:
            big_a, f_a = big_b, f_b
        else:
            f_a /= 2.0
        big_b, f_b = c, f_c
    return _exp(big_a / 2.0)


def _f(x: float, a: float, spare: float, base: float, tau2: float) -> float:
    """Glickman's f(x) with delta^2 - phi^2 - v as `spare` and phi^2 + v as `base`."""
    ex = _exp(x)
    return ex * (spare - ex) / (2.0 * (base + ex) ** 2) - (x - a) / tau2


def _updated(player: Rating, opponent: Rating, score: float) -> Rating:
    mu, phi = (player.rating - DEFAULT_RATING) / SCALE, player.deviation / SCALE
    mu_j, phi_j = (opponent.rating - DEFAULT_RATING) / SCALE, opponent.deviation / SCALE
    g = 1.0 / _sqrt(1.0 + 3.0 * phi_j * phi_j / _PI2)     # _g(phi_j), written out
    expected = 1.0 / (1.0 + _exp(-g * (mu - mu_j)))
    v = 1.0 / (g * g * expected * (1.0 - expected))
    delta = v * g * (score - expected)
    sigma = _volatility(phi, player.volatility, delta, v)
    phi_star = _sqrt(phi * phi + sigma * sigma)
    new_phi = 1.0 / _sqrt(1.0 / (phi_star * phi_star) + 1.0 / v)
    new_mu = mu + new_phi * new_phi * g * (score - expected)
    return Rating(DEFAULT_RATING + SCALE * new_mu, max(MIN_DEVIATION, SCALE * new_phi), sigma)


def compare(winner: Rating, loser: Rating) -> tuple[Rating, Rating]:
    """(winner, loser) after one comparison, each updated from the other's rating before it."""
    return _updated(winner, loser, 1.0), _updated(loser, winner, 0.0)


def replay(events: Iterable[tuple[int, int]], start: dict[int, Rating] | None = None) -> dict[int, Rating]:
    """Ratings after the (winner id, loser id) events in order, from `start` (default: all unrated).
    Recording the same events one at a time with `compare` gives exactly the same floats."""
    ratings = dict(start or {})
    get = ratings.get
    for winner, loser in events:
        ratings[winner], ratings[loser] = compare(get(winner, UNRATED), get(loser, UNRATED))
    return ratings


def mosaic_events(best: int, others: Iterable[int]) -> list[tuple[int, int]]:
    """A Mosaic pick: the best photo wins against each other photo of the grid (N-1 events)."""
    return [(best, other) for other in others if other != best]


def worst_events(worst: int, others: Iterable[int]) -> list[tuple[int, int]]:
    """A Mosaic 'worst' pick: each other photo wins against the worst (N-1 events)."""
    return [(other, worst) for other in others if other != worst]
