"""Team codes: one stable franchise code per team over 2009-2019.

Game Center mixes codes for the same franchise (JAC and JAX; the Rams as STL then LA; the
Chargers as SD then LAC). Models that learn team strength need one id per franchise, so every
code is canonicalised here. The betting-lines CSV names teams in full ("St. Louis Rams");
:data:`FULL_NAMES` maps those names to the same codes. The mapping ships in code (not read from
the CSV's companion ``nfl_teams.csv``, which codes the Rams ``LAR``) so the ingest needs no
second file and every table built from the lines CSV uses the same codes as the ingest.
"""

from __future__ import annotations

#: The 32 franchise codes used in every table (Raiders stay ``OAK``: they played in Oakland
#: through 2019; the Rams are ``LA`` and the Chargers ``LAC`` for all seasons).
CANONICAL_TEAMS: frozenset[str] = frozenset(
    ["ARI", "ATL", "BAL", "BUF", "CAR", "CHI", "CIN", "CLE", "DAL", "DEN", "DET", "GB", "HOU", "IND", "JAX", "KC", "LA", "LAC", "MIA", "MIN", "NE", "NO", "NYG", "NYJ", "OAK", "PHI", "PIT", "SEA", "SF", "TB", "TEN", "WAS"]
)

#: Alternative / historical codes → canonical franchise code.
ALIASES: dict[str, str] = {
    "JAC": "JAX",
    "STL": "LA",
    "LAR": "LA",
    "SD": "LAC",
    "SDG": "LAC",
    "LV": "OAK",
    "LVR": "OAK",
    "WSH": "WAS",
    "ARZ": "ARI",
    "BLT": "BAL",
    "CLV": "CLE",
    "HST": "HOU",
    "GNB": "GB",
    "KAN": "KC",
    "NWE": "NE",
    "NOR": "NO",
    "SFO": "SF",
    "TAM": "TB",
}

#: Full team names as used by the public "NFL scores and betting data" CSV → canonical code.
#: Includes historical names of the same franchises so older rows map too.
FULL_NAMES: dict[str, str] = {
    "Arizona Cardinals": "ARI",
    "Phoenix Cardinals": "ARI",
    "St. Louis Cardinals": "ARI",
    "Atlanta Falcons": "ATL",
    "Baltimore Ravens": "BAL",
    "Buffalo Bills": "BUF",
    "Carolina Panthers": "CAR",
    "Chicago Bears": "CHI",
    "Cincinnati Bengals": "CIN",
    "Cleveland Browns": "CLE",
    "Dallas Cowboys": "DAL",
    "Denver Broncos": "DEN",
    "Detroit Lions": "DET",
    "Green Bay Packers": "GB",
    "Houston Texans": "HOU",
    "Baltimore Colts": "IND",
    "Indianapolis Colts": "IND",
    "Jacksonville Jaguars": "JAX",
    "Kansas City Chiefs": "KC",
    "Los Angeles Chargers": "LAC",
    "San Diego Chargers": "LAC",
    "Los Angeles Rams": "LA",
    "St. Louis Rams": "LA",
    "Miami Dolphins": "MIA",
    "Minnesota Vikings": "MIN",
    "New England Patriots": "NE",
    "Boston Patriots": "NE",
    "New Orleans Saints": "NO",
    "New York Giants": "NYG",
    "New York Jets": "NYJ",
    "Los Angeles Raiders": "OAK",
    "Oakland Raiders": "OAK",
    "Las Vegas Raiders": "OAK",
    "Philadelphia Eagles": "PHI",
    "Pittsburgh Steelers": "PIT",
    "Seattle Seahawks": "SEA",
    "San Francisco 49ers": "SF",
    "Tampa Bay Buccaneers": "TB",
    "Houston Oilers": "TEN",
    "Tennessee Oilers": "TEN",
    "Tennessee Titans": "TEN",
    "Washington Redskins": "WAS",
    "Washington Football Team": "WAS",
    "Washington Commanders": "WAS",
}


def canonical_team(code: str | None) -> str:
    """Return the canonical franchise code for a Game Center or common alias code.

    Empty or missing codes give ``""``; unknown codes are returned upper-cased unchanged (the
    table schemas then reject them, so nothing unknown slips through silently).
    """
    if not code:
        return ""
    code = code.strip().upper()
    return ALIASES.get(code, code)


def team_from_name(name: str | None) -> str | None:
    """Canonical code for a full team name (``"St. Louis Rams"`` → ``"LA"``), or ``None``."""
    if not name:
        return None
    return FULL_NAMES.get(name.strip())
