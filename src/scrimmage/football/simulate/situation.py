"""In-game situations for ``scrimmage simulate``: read one from text or JSON, or take it from a real game.

A :class:`Situation` is one moment of a game in the simulator's conventions (:mod:`.state`):
the quarter (5 is overtime), the seconds left in it, the side with the ball (``home`` or
``away``; on a kickoff the kicking side, on a try the scoring side), the yard line from that
side's own goal line (``own 25`` → 25, ``opp 30`` → 70), down and distance, the score and what
the next play is (``snap``, ``kickoff``, ``try`` or ``free_kick``).

* :func:`parse_situation` reads the ``--from-state`` text: ``'Q4 2:00, home ball at own 25, down
  3'``, ``'Q2 0:45 away ball at opp 30 2nd and 7, home 17 away 14'``, ``'OT 8:00 home ball at
  own 25'``, ``'Q3 15:00 away kicks off, home 7 away 3'``, or a JSON object with the fields of
  :class:`Situation`. Down and distance default to 1st and 10 (goal to go inside the 10); a
  score given only as a margin (``down 3``, ``up 7``, ``tied``) counts the trailing side from 0.
  Every mistake is an :class:`~scrimmage.errors.ArgumentError` naming the part it could not read.
* :func:`situation_after_play` takes the state of a real game after its ``N``-th play from the
  ingested plays table (see the function).

Pure: no torch, no sampler; :meth:`Situation.state_kwargs` gives what
:meth:`.state.GameState.from_situation` takes.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from scrimmage.errors import ArgumentError

PHASES = ("snap", "kickoff", "try", "free_kick")
#: Where the ball is for the kicking phases (from the kicking / trying side's own goal line).
PHASE_SPOT = {"kickoff": 35, "free_kick": 20, "try": 98}
QUARTER_SECONDS = 900
EXAMPLE = "'Q4 2:00, home ball at own 25, 3rd & 4, home 17 away 20'"
JSON_EXAMPLE = ('\'{"quarter": 4, "clock": "2:00", "offense": "home", "yardline": 25, "down": 3, "distance": 4, '
                '"home_score": 17, "away_score": 20}\'')
JSON_KEYS = ("quarter", "clock", "offense", "yardline", "down", "distance", "home_score", "away_score", "phase",
             "opening_receiver")
GAME_ID_EXAMPLE = "2019091500"
#: The most points a side may have in a situation (the NFL record is 73).
MAX_SCORE = 200


@dataclass(frozen=True)
class Situation:
    """One moment of a game (see the module docstring for the conventions)."""

    quarter: int
    clock: int
    offense: str
    yardline: int = 25
    down: int = 1
    distance: int = 10
    home_score: int = 0
    away_score: int = 0
    phase: str = "snap"
    opening_receiver: str | None = None
    """Side that received the opening kickoff (it kicks off the second half); ``None``: the side without the ball."""
    note: str | None = None
    """What was assumed (e.g. the score counted from 0 when only a margin was given)."""

    def state_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :meth:`GameState.from_situation` (teams and context apart)."""
        from scrimmage.football.simulate.state import AWAY, FREE_KICK, HOME, KICKOFF, SNAP, TRY

        sides = {"home": HOME, "away": AWAY}
        phase = {"snap": SNAP, "kickoff": KICKOFF, "try": TRY, "free_kick": FREE_KICK}[self.phase]
        return {
            "quarter": self.quarter, "clock": self.clock, "offense": sides[self.offense], "phase": phase,
            "down": self.down, "distance": self.distance, "yardline": self.yardline,
            "home_score": self.home_score, "away_score": self.away_score,
            "opening_receiver": None if self.opening_receiver is None else sides[self.opening_receiver],
        }

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self, home: str = "home", away: str = "away") -> str:
        """``'Q4 2:00, KC ball, 3rd & 4 at own 25; KC 17 - BUF 20'``."""
        names = {"home": home, "away": away}
        when = f"{quarter_label(self.quarter)} {format_clock(self.clock)}"
        side = names[self.offense]
        if self.phase == "kickoff":
            what = f"{side} kicks off"
        elif self.phase == "free_kick":
            what = f"{side} free kick (after a safety)"
        elif self.phase == "try":
            what = f"{side} try after its touchdown"
        else:
            goal = self.yardline + self.distance >= 100
            what = f"{side} ball, {ordinal(self.down)} & {'goal' if goal else self.distance} at {field_label(self.yardline)}"
        return f"{when}, {what}; {home} {self.home_score} - {away} {self.away_score}"


def ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def quarter_label(quarter: int) -> str:
    return f"Q{quarter}" if quarter <= 4 else ("OT" if quarter == 5 else f"OT{quarter - 4}")


def format_clock(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def field_label(yardline: int) -> str:
    if yardline == 50:
        return "midfield"
    return f"own {yardline}" if yardline < 50 else f"opp {100 - yardline}"


# --------------------------------------------------------------------------- parsing

def _bad(what: str, example: str = EXAMPLE) -> ArgumentError:
    return ArgumentError(f"--from-state: {what}; write it like {example}")


def _bad_json(what: str) -> ArgumentError:
    return _bad(what, JSON_EXAMPLE)


def parse_situation(text: str, home: str | None = None, away: str | None = None) -> Situation:
    """Read a ``--from-state`` text or JSON object (see the module docstring). ``home`` / ``away``:
    team codes that may stand for the sides (``'KC ball at own 25'``)."""
    source = (text or "").strip()
    if not source:
        raise _bad("the situation is empty")
    if source.startswith("{"):
        return _from_json(source, home, away)
    try:
        value = json.loads(source)
    except (json.JSONDecodeError, ValueError, RecursionError):
        return _from_text(source, home, away)
    shown = source if len(source) <= 40 else source[:37] + "..."
    raise _bad_json(f"the JSON form must be an object {{...}}, got a JSON {_json_kind(value)} ({shown})")


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool) or value is None:
        return "literal"
    return "number"


def _side_names(home: str | None, away: str | None) -> dict[str, str]:
    names = {"home": "home", "away": "away"}
    for code, side in ((home, "home"), (away, "away")):
        if code:
            names[code.lower()] = side
    return names


_FILLER = {"at", "the", "with", "and", "left", "remaining", "to", "go", "on", "in", "score", "yard", "line", "ball",
           "is", "a", "of", "by"}


def _from_text(source: str, home: str | None, away: str | None) -> Situation:
    text = source
    names = _side_names(home, away)
    side_re = "|".join(sorted((re.escape(k) for k in names), key=len, reverse=True))
    found: dict[str, Any] = {}

    def take(pattern: str, key: str, convert: Any) -> None:
        nonlocal text
        matches = list(re.finditer(pattern, text, flags=re.IGNORECASE))
        if not matches:
            return
        if len(matches) > 1 or key in found:
            parts = ", ".join(repr(m.group(0).strip()) for m in matches)
            raise _bad(f"it gives the {key.replace('_', ' ')} more than once ({parts})")
        m = matches[0]
        found[key] = convert(m)
        text = text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]

    take(r"\b(?:q(\d+)|(ot)|(\d+)(?:st|nd|rd|th)\s+(?:quarter|qtr))\b", "quarter", _quarter_of)
    take(r"(?<![\d:])(\d{1,2}):(\d{2})(?![\d:])", "clock", _clock_of)
    take(r"\b(\d+)(?:st|nd|rd|th)(?:\s+down)?\s*(?:and|&)\s*(goal|\d+)\b", "down_distance",
         lambda m: (_down_of(m), m.group(2)))
    take(rf"\b({side_re})\s+(?:kicks off|kicking off|to kick off|kickoff|kicks)\b", "kicker",
         lambda m: names[m.group(1).lower()])
    take(rf"\b({side_re})\s+(?:ball|has the ball|has ball|with the ball|possession|has possession|on offense|offense)\b",
         "offense", lambda m: names[m.group(1).lower()])
    take(r"\b(own|opp|opponent'?s?|their|our)\s+(\d+)\b", "field", _field_of)
    take(r"\bmidfield\b|\bthe 50\b", "field", lambda m: 50)
    for side in ("home", "away"):
        keys = [k for k, v in names.items() if v == side]
        pattern = rf"\b(?:{'|'.join(re.escape(k) for k in keys)})\s+(\d+)\b"
        take(pattern, f"{side}_score", _points_of)
    take(r"\b(?:down|trailing|behind|trail|trails)\s+(?:by\s+)?(\d+)\b", "margin", lambda m: -_points_of(m))
    take(r"\b(?:up|leading|ahead|lead|leads)\s+(?:by\s+)?(\d+)\b", "margin", _points_of)
    take(r"\b(?:tied|level|tie game)\b", "margin", lambda m: 0)

    leftover = [w for w in re.split(r"[\s,;.()]+", text) if w and w.lower() not in _FILLER]
    if leftover:
        shown = " ".join(leftover)
        raise _bad(f"could not read {shown!r} in '{source}'")
    if "quarter" not in found:
        raise _bad(f"'{source}' does not say the quarter (Q1-Q4 or OT)")
    if "clock" not in found:
        raise _bad(f"'{source}' does not say the clock (time left in the quarter, e.g. 2:00)")
    if "kicker" in found and "offense" in found:
        raise _bad(f"'{source}' says both who has the ball and who kicks off; give one")
    phase = "kickoff" if "kicker" in found else "snap"
    offense = found.get("kicker") or found.get("offense")
    if offense is None:
        raise _bad(f"'{source}' does not say who has the ball ('home ball' or 'away ball')")
    if phase == "kickoff":
        if "field" in found or "down_distance" in found:
            raise _bad(f"'{source}': a kickoff has no yard line or down; leave them out")
        yardline, down, distance = PHASE_SPOT["kickoff"], 0, 0
    else:
        if "field" not in found:
            raise _bad(f"'{source}' does not say where the ball is (e.g. 'at own 25' or 'at opp 30')")
        yardline = found["field"]
        down, dist_text = found.get("down_distance", (1, None))
        distance = min(10, 100 - yardline) if dist_text is None else (
            100 - yardline if dist_text == "goal" else int(dist_text))
    home_score, away_score, note = _scores(found, offense, source)
    return validate(Situation(quarter=found["quarter"], clock=found["clock"], offense=offense, yardline=yardline,
                              down=down, distance=distance, home_score=home_score, away_score=away_score,
                              phase=phase, note=note))


def _small(digits: str) -> int:
    """A number typed in the text; one of more than 6 digits stands as 10**7 (out of every range, and cheap)."""
    return int(digits) if len(digits) <= 6 else 10**7


def _points_of(m: re.Match[str]) -> int:
    digits = m.group(1)
    if len(digits) > 3 or int(digits) > MAX_SCORE:
        shown = digits if len(digits) <= 12 else f"a {len(digits)}-digit number"
        raise _bad(f"'{m.group(0).strip()[:40]}': points must be 0-{MAX_SCORE}, got {shown}")
    return int(digits)


def _quarter_of(m: re.Match[str]) -> int:
    if m.group(2):
        return 5
    value = _small(m.group(1) or m.group(3))
    if not 1 <= value <= 4:
        raise _bad(f"quarter '{m.group(0).strip()}' must be Q1-Q4 or OT")
    return value


def _clock_of(m: re.Match[str]) -> int:
    minutes, seconds = int(m.group(1)), int(m.group(2))
    if seconds >= 60 or minutes * 60 + seconds > QUARTER_SECONDS:
        raise _bad(f"clock '{m.group(0)}' must be between 0:00 and 15:00")
    return minutes * 60 + seconds


def _down_of(m: re.Match[str]) -> int:
    down = _small(m.group(1))
    if not 1 <= down <= 4:
        raise _bad(f"down '{m.group(0).strip()}' must be 1st to 4th")
    return down


def _field_of(m: re.Match[str]) -> int:
    side, yards = m.group(1).lower(), _small(m.group(2))
    own = side in ("own", "our")
    if not 1 <= yards <= 50:
        raise _bad(f"yard line '{m.group(0).strip()}' must be own 1-50 or opp 1-50")
    return yards if own else 100 - yards


def _scores(found: dict[str, Any], offense: str, source: str) -> tuple[int, int, str | None]:
    has_home, has_away = "home_score" in found, "away_score" in found
    if has_home != has_away:
        given = "home" if has_home else "away"
        raise _bad(f"'{source}' gives the {given} score only; give both ('home 17 away 14') or a margin ('down 3')")
    margin = found.get("margin")
    if has_home:
        home_score, away_score = found["home_score"], found["away_score"]
        if margin is not None:
            lead = home_score - away_score if offense == "home" else away_score - home_score
            if lead != margin:
                raise _bad(f"'{source}': the score home {home_score} - away {away_score} does not match the margin "
                           f"({'up' if margin > 0 else 'down'} {abs(margin)} for the side with the ball)")
        return home_score, away_score, None
    if margin is None:
        return 0, 0, "no score given: 0-0"
    if margin == 0:
        return 0, 0, "tied, no score given: 0-0"
    offense_score, defense_score = max(margin, 0), max(-margin, 0)
    home_score, away_score = (offense_score, defense_score) if offense == "home" else (defense_score, offense_score)
    return home_score, away_score, "only the margin was given: the trailing side's points count from 0"


def _from_json(source: str, home: str | None, away: str | None) -> Situation:
    try:
        data = json.loads(source, parse_constant=_no_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise _bad_json(f"not valid JSON ({exc.msg} at character {exc.pos})") from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer of thousands of digits
        raise _bad_json(f"not valid JSON ({str(exc)[:80]})") from None
    if not isinstance(data, dict):
        raise _bad_json("the JSON must be an object")
    unknown = sorted(set(data) - set(JSON_KEYS))
    if unknown:
        raise _bad_json(f"unknown key(s) {', '.join(unknown)}; the keys are {', '.join(JSON_KEYS)}")
    names = _side_names(home, away)
    for key in ("quarter", "clock", "offense"):
        if key not in data:
            raise _bad_json(f"the JSON has no '{key}'")
    quarter = data["quarter"]
    if isinstance(quarter, str) and quarter.strip().lower() in ("ot", "q5"):
        quarter = 5
    elif isinstance(quarter, str) and re.fullmatch(r"q?[1-4]", quarter.strip().lower()):
        quarter = int(quarter.strip()[-1])
    quarter = _int(quarter, "quarter", "1-4 or \"OT\"")
    clock = data["clock"]
    if isinstance(clock, str) and not isinstance(clock, _Overflow):
        m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", clock)
        if not m:
            raise _bad_json(f"clock {clock!r} must be \"M:SS\" or seconds")
        clock = _clock_of(m)
    clock = _int(clock, "clock", "seconds (0-900) or \"M:SS\"")
    offense = names.get(str(data["offense"]).strip().lower())
    if offense is None:
        raise _bad_json(f"offense {data['offense']!r} must be \"home\" or \"away\"")
    phase = str(data.get("phase", "snap")).strip().lower()
    if phase not in PHASES:
        raise _bad_json(f"phase {data.get('phase')!r} must be one of {', '.join(PHASES)}")
    receiver = data.get("opening_receiver")
    if receiver is not None:
        receiver = names.get(str(receiver).strip().lower())
        if receiver is None:
            raise _bad_json(f"opening_receiver {data.get('opening_receiver')!r} must be \"home\" or \"away\"")
    if phase != "snap":
        yardline, down, distance = PHASE_SPOT[phase], 0, 0
    else:
        if "yardline" not in data:
            raise _bad_json("the JSON has no 'yardline' (yards from the offense's own goal line, 1-99, or \"own 25\" / \"opp 30\")")
        yardline = data["yardline"]
        if isinstance(yardline, str) and not isinstance(yardline, _Overflow):
            m = re.fullmatch(r"\s*(own|opp)\s+(\d+)\s*", yardline.lower())
            if not m:
                raise _bad_json(f"yardline {yardline!r} must be a number 1-99 or \"own 25\" / \"opp 30\"")
            yardline = _field_of(m)
        yardline = _int(yardline, "yardline", "1-99 (from the offense's own goal line)")
        down = _int(data.get("down", 1), "down", "1-4")
        distance = data.get("distance")
        if distance is None:
            distance = min(10, 100 - yardline) if 1 <= yardline <= 99 else 10
        elif isinstance(distance, str) and distance.strip().lower() == "goal":
            distance = 100 - yardline
        distance = _int(distance, "distance", "1-99")
    home_score = _int(data.get("home_score", 0), "home_score", f"0-{MAX_SCORE}")
    away_score = _int(data.get("away_score", 0), "away_score", f"0-{MAX_SCORE}")
    return validate(Situation(quarter=quarter, clock=clock, offense=offense, yardline=yardline, down=down,
                              distance=distance, home_score=home_score, away_score=away_score, phase=phase,
                              opening_receiver=receiver), JSON_EXAMPLE)


class _Overflow(str):
    """A JSON number too large for a float (``1e400``), kept as its text so the error can show it."""


def _finite_float(text: str) -> Any:
    value = float(text)
    return value if math.isfinite(value) else _Overflow(text)


def _no_constant(name: str) -> Any:
    raise _bad_json(f"{name} is not a number a situation can hold; every value must be finite")


def _int(value: Any, key: str, expected: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _bad_json(f"{key} {value!r} must be {expected}")
    if isinstance(value, _Overflow):
        raise _bad_json(f"{key} {value} is not a finite number ({expected})")
    if isinstance(value, int):
        number: float = value
    else:
        try:
            number = float(value)
        except (ValueError, OverflowError):
            raise _bad_json(f"{key} {value!r} must be {expected}") from None
    if not math.isfinite(number):
        raise _bad_json(f"{key} {value!r} must be a finite number ({expected})")
    if abs(number) > 10**6:
        shown = f"a {len(str(int(abs(number))))}-digit number" if abs(number) < 1e300 else repr(value)
        raise _bad_json(f"{key} {shown} is out of range ({expected})")
    if number != int(number):
        raise _bad_json(f"{key} {value!r} must be a whole number ({expected})")
    return int(number)


def validate(s: Situation, example: str = EXAMPLE) -> Situation:
    """Check every range (see the module docstring); returns ``s``."""
    if not 1 <= s.quarter <= 5:
        raise _bad(f"quarter {s.quarter} must be 1-4 or OT", example)
    if not 0 <= s.clock <= QUARTER_SECONDS:
        raise _bad(f"clock {s.clock} s must be between 0:00 and 15:00 (0-900 seconds)", example)
    if s.offense not in ("home", "away"):
        raise _bad(f"offense '{s.offense}' must be home or away", example)
    if not (0 <= s.home_score <= MAX_SCORE and 0 <= s.away_score <= MAX_SCORE):
        raise _bad(f"scores must be 0-{MAX_SCORE} (home {_shown(s.home_score)}, away {_shown(s.away_score)})", example)
    if s.phase == "snap":
        if not 1 <= s.yardline <= 99:
            raise _bad(f"yardline {s.yardline} must be 1-99 (from the offense's own goal line: own 25 is 25, opp 30 is 70)", example)
        if not 1 <= s.down <= 4:
            raise _bad(f"down {s.down} must be 1-4", example)
        if not 1 <= s.distance <= 99:
            raise _bad(f"distance {s.distance} must be 1-99 yards", example)
        if s.yardline + s.distance > 100:
            raise _bad(f"{ordinal(s.down)} & {s.distance} at {field_label(s.yardline)} goes beyond the goal line "
                       f"(at most {100 - s.yardline} to go there; say '& goal')", example)
    return s


def _shown(value: int) -> str:
    return str(value) if abs(value) < 10**9 else f"a {len(str(abs(value)))}-digit number"


# --------------------------------------------------------------------------- from a real game

TRY_TYPES = ("extra_point", "two_point")


def situation_after_play(plays: pd.DataFrame, games: pd.DataFrame, game_id: str, n: int) -> tuple[Situation, dict[str, Any]]:
    """The state of real game ``game_id`` after its first ``n`` plays (``0``: before the opening kickoff).

    Plays count in the plays table's order (``play_index``; timeouts and end-of-quarter notes are
    not plays). The state is the one before the next play: the next kickoff (a free kick after a
    safety), try, or snap with a down and a yard line; rows without one (a penalty before the
    snap with no down, an unclassified play) are skipped. Clock, score, down, distance and yard
    line are that row's; the opening kickoff's receiver (it kicks off the second half) comes from
    the game's first kickoff. Not carried over: timeouts left, and in overtime how many
    possessions were already played (the state counts as the first overtime possession).

    Returns the situation and an info dict: the game (teams, season, week, real final score),
    the number of plays, the last play run and the play the state is taken before.
    """
    gid = str(game_id).strip()
    row = games[games["game_id"].astype(str) == gid]
    if row.empty:
        ids = sorted(games["game_id"].astype(str).tolist())
        same_day = [g for g in ids if len(gid) >= 8 and g.startswith(gid[:8])]
        near = same_day[:6] or difflib.get_close_matches(gid, ids, n=3, cutoff=0.6)
        hint = f"; games that day: {', '.join(near)}" if same_day else (f"; did you mean {', '.join(near)}?" if near else "")
        raise ArgumentError(f"--game {gid}: no such game in the data (game ids are YYYYMMDDNN, e.g. "
                            f"{GAME_ID_EXAMPLE}){hint}")
    game = row.iloc[0]
    home, away = str(game["home_team"]), str(game["away_team"])
    rows = plays[plays["game_id"].astype(str) == gid].sort_values("play_index", kind="stable").reset_index(drop=True)
    count = len(rows)
    final = {"home_score": int(game["home_score"]), "away_score": int(game["away_score"])}
    if count == 0:
        raise ArgumentError(f"--game {gid}: the game has no play-by-play in the data")
    if n < 0 or n >= count:
        raise ArgumentError(f"--after-play {n}: game {gid} ({away} at {home}) has {count} plays; give 0-{count - 1} "
                            f"(0 = before the opening kickoff; after play {count} the game is over, final "
                            f"{home} {final['home_score']} - {away} {final['away_score']})")
    chosen = None
    for k in range(n, count):
        r = rows.iloc[k]
        kind = str(r["play_type"])
        if kind == "kickoff" or kind in TRY_TYPES:
            chosen = k
            break
        yardline = r["yardline_100"]
        if 1 <= int(r["down"]) <= 4 and not pd.isna(yardline) and 1 <= int(yardline) <= 99:
            chosen = k
            break
    if chosen is None:
        raise ArgumentError(f"--after-play {n}: game {gid} has no snap, kickoff or try after play {n} "
                            f"(its last is play {count}); give an earlier play")
    r = rows.iloc[chosen]
    kind = str(r["play_type"])
    offense = "home" if str(r["posteam"]) == home else "away"
    quarter = int(r["qtr"])
    half_seconds = int(r["sec_remaining_half"])
    clock = half_seconds - QUARTER_SECONDS if quarter in (1, 3) else half_seconds
    clock = max(0, min(clock, QUARTER_SECONDS))
    if kind == "kickoff":
        phase = "free_kick" if chosen > 0 and _was_safety(rows.iloc[chosen - 1]) else "kickoff"
    else:
        phase = "try" if kind in TRY_TYPES else "snap"
    if phase == "snap":
        yardline, down = int(r["yardline_100"]), int(r["down"])
        distance = max(1, min(int(r["ydstogo"]), 100 - yardline))
    else:
        yardline, down, distance = PHASE_SPOT[phase], 0, 0
    kickoffs = rows[(rows["play_type"] == "kickoff") & (rows["qtr"] == 1)]
    receiver = None
    if len(kickoffs):
        receiver = "away" if str(kickoffs.iloc[0]["posteam"]) == home else "home"
    situation = Situation(quarter=quarter, clock=clock, offense=offense,
                          yardline=yardline, down=down, distance=distance,
                          home_score=int(r["home_score_before"]), away_score=int(r["away_score_before"]),
                          phase=phase, opening_receiver=receiver)
    if quarter <= 5:  # a playoff game's second overtime period (6) is past what --from-state may say
        validate(situation)
    info = {
        "game_id": gid, "season": int(game["season"]), "week": int(game["week"]),
        "season_type": str(game["season_type"]), "home": home, "away": away, "plays": count, "after_play": n,
        "last_play": None if n == 0 else str(rows.iloc[n - 1]["desc"]),
        "next_play": {"number": chosen + 1, "play_index": int(r["play_index"]), "play_type": kind,
                      "desc": str(r["desc"])},
        "skipped": chosen - n, "real_final": final,
    }
    return situation, info


def _was_safety(r: pd.Series) -> bool:
    """The play scored 2 points that were not a two-point try (a safety)."""
    points = int(r["home_points"]) + int(r["away_points"])
    return points == 2 and str(r["play_type"]) not in TRY_TYPES
