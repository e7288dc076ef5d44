"""One CFBD game (its play rows and games-file entry) → plays, drives and a games row.

The rows of the NFL tables (same names, units and conventions: see :mod:`scrimmage.football.common.schemas`
and :mod:`scrimmage.football.nfl.quality`), built in this order, every repair counted by a rule of
:mod:`.quality`:

1. rows typed and put in play order: ``|drive_id|, play_number`` (CFBD's second feed numbers
   drives with negative, decreasing ids), then stably by period (a second-half kickoff listed
   inside a first-half drive moves after it); administrative rows and repeated plays dropped;
2. play types from :mod:`.playtypes`; a kickoff's ``posteam`` is the kicking team (CFBD's
   second feed lists kickoffs under either team: the next snap decides);
3. clocks ``M:SS`` → seconds; stray clocks repaired so they never run backwards in a period
   (the schema checks it); seconds left in the half and game as the NFL tables count them
   (college overtime is untimed: 0);
4. yards (the play's own: penalty yardage and interception returns taken out), first-down /
   touchdown / turnover / penalty flags (``first_down``: the text says so or the gain reaches
   the line to gain; lost fumbles also from the change of possession), points per play and
   the score before each play, rebuilt from the text and reconciled with CFBD's score columns
   and the final (:func:`_score`);
5. drives: CFBD's drives in order (split possessions merged), renumbered 1..n per game
   (``drive_id``); the result inferred from the plays in the NFL's words (Touchdown, Field
   Goal, Missed FG, Blocked FG, Punt, Blocked Punt, Interception, Fumble, Safety, Downs, End of
   Half, End of Game; UNKNOWN counted); ``plays`` counts the offense's snaps and penalties,
   ``yards`` its run/pass/sack yards, ``penalty_yds`` the net yards penalty-only rows moved it;
6. the games row: home/away/venue/divisions and final and quarter scores from the games file
   (overtime = the final minus the quarters); the box-score columns (first downs, yards,
   attempts, penalties, turnovers, time of possession, punts) summed from the plays and drives.
   Penalties count only penalty-only (``no_play``) rows, charged to the team the text names
   ("<Team> Penalty") or else to the side that lost yards: an approximation (the text has no
   team code for "PENALTY ABC ..." rows and penalties enforced on a counted play are left out).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrimmage.errors import DataError
from scrimmage.football.cfb import playtypes as pt
from scrimmage.football.cfb.quality import CLOCK_JUMP_SECONDS, INCOMPLETE_LAST_PLAY_SECONDS
from scrimmage.football.cfb.source import GameEntry
from scrimmage.football.nfl.parse import sec_remaining_game, sec_remaining_half
from scrimmage.football.nfl.quality import RuleCount

QUARTER_SECONDS = 900
OFFENSE = ("run", "pass", "sack")
SNAPS = ("run", "pass", "sack", "kneel", "spike")
#: play types that neither start nor end a drive's possession in the result logic
_NOT_EVENTS = ("kickoff", "extra_point", "two_point", "no_play")
YARDS_RANGE = (-100, 110)


@dataclass
class ParsedGame:
    game: dict[str, Any]
    drives: list[dict[str, Any]]
    plays: list[dict[str, Any]]
    #: CFBD play_type → project type → rows (administrative rows under "admin")
    type_counts: Counter[tuple[str, str]] = field(default_factory=Counter)


def _int(value: str | None) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        try:
            return int(float(text))
        except ValueError:
            return None


def clock_seconds(text: str) -> int | None:
    """``"M:SS"`` → seconds, ``None`` when malformed or beyond 15:00."""
    mins, sep, secs = (text or "").strip().partition(":")
    if not sep:
        return None
    try:
        value = int(mins or 0) * 60 + int(secs)
    except ValueError:
        return None
    return value if 0 <= value <= QUARTER_SECONDS else None


def _half(qtr: int) -> int:
    """1 (quarters 1-2), 2 (3-4), and each overtime period on its own."""
    return 1 if qtr <= 2 else 2 if qtr <= 4 else qtr


def _rows(path: Path, game_id: str, raw: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Typed rows; an id, drive, play number or period that is not an integer is a DataError."""
    out = []
    for line, r in enumerate(raw, start=2):
        ids = {k: _int(r.get(k)) for k in ("id", "drive_id", "play_number", "period")}
        bad = [k for k, v in ids.items() if v is None]
        if bad:
            raise DataError(
                f"play-by-play file {path}, line {line}: {', '.join(bad)} not an integer "
                f"({', '.join(repr(r.get(k)) for k in bad)}); fix the row or remove the file"
            )
        if (r.get("game_id") or "").strip() != game_id:
            raise DataError(
                f"play-by-play file {path}, line {line}: game_id {r.get('game_id')!r} differs from the file's first "
                f"row ({game_id}); a play-by-play file holds one game"
            )
        out.append({
            **ids,
            "clock_text": r.get("clock") or "",
            "offense": (r.get("offense") or "").strip(),
            "defense": (r.get("defense") or "").strip(),
            "offense_score": _int(r.get("offense_score")),
            "defense_score": _int(r.get("defense_score")),
            "yards_to_goal": _int(r.get("yards_to_goal")),
            "down": _int(r.get("down")) or 0,
            "distance": _int(r.get("distance")) or 0,
            "cfbd_yards": _int(r.get("yards_gained")) or 0,
            "cfbd_type": (r.get("play_type") or "").strip(),
            "text": (r.get("play_text") or "").strip(),
        })
    return out


def _order(rows: list[dict[str, Any]], gid: str, counts: dict[str, RuleCount]) -> list[dict[str, Any]]:
    """Play order: ``|drive_id|, play_number`` (the second feed's negative drive ids count down),
    then stably by period; a play moved by the period sort joins the drive of the play after it
    (a second-half kickoff listed inside a first-half drive starts the second half's first drive)."""
    if any(r["id"] < 0 or r["drive_id"] < 0 for r in rows):
        counts["negative_source_ids"].add(1, affected=len(rows), example=gid)
    rows = sorted(rows, key=lambda r: (abs(r["drive_id"]), r["play_number"], abs(r["id"])))
    low_after = 10**9
    moved: set[int] = set()
    for i in range(len(rows) - 1, -1, -1):  # a play with a lower-period play listed after it
        if rows[i]["period"] > low_after:
            moved.add(i)
        low_after = min(low_after, rows[i]["period"])
    if not moved:
        return rows
    counts["period_out_of_order"].add(len(moved), example=gid)
    marked = [(r, i in moved) for i, r in enumerate(rows)]
    marked.sort(key=lambda rm: rm[0]["period"])  # stable: the listed order is kept within a period
    for j, (r, was_moved) in enumerate(marked):
        if was_moved:
            follower = next((s for s, m in marked[j + 1:] if not m), None)
            if follower is not None:
                r["drive_id"] = follower["drive_id"]
    return [r for r, _ in marked]


_RE_KICK_SPOT = re.compile(r"\bkicks\b.*?\bfrom (?:the )?[A-Za-z.&' ]+? (\d{1,2})\b", re.IGNORECASE)
_SNAP_TYPES = ("run", "pass", "sack", "punt", "field_goal", "kneel", "spike")


def _second_feed_kickoffs(plays: list[dict[str, Any]], rows: list[dict[str, Any]], gid: str, counts: dict[str, RuleCount]) -> None:
    """Rule ``kickoff_listed_under_receiver`` for CFBD's second feed (negative ids), which lists a
    kickoff under either team and whose ``yards_to_goal`` of a kickoff is not reliable: the
    receiving team is the offense of the next snap (after a return touchdown, the scorer kicks
    next, so the next snap is the kicker's); the spot is read from "kicks N yards from XXX 35"."""
    snaps = [i for i, p in enumerate(plays) if p["play_type"] in _SNAP_TYPES]
    for i, (p, r) in enumerate(zip(plays, rows, strict=True)):
        if p["play_type"] != "kickoff":
            continue
        nxt = next((plays[j] for j in snaps if j > i), None)
        if nxt is not None:
            returned = pt.touchdown_side(r["cfbd_type"], r["text"], "kickoff") is not None
            receiver = nxt["defteam"] if returned else nxt["posteam"]
            if receiver == p["posteam"]:
                p["posteam"], p["defteam"] = p["defteam"], p["posteam"]
                counts["kickoff_listed_under_receiver"].add(example=gid)
        spot = _RE_KICK_SPOT.search(r["text"])
        if spot and 0 < int(spot.group(1)) <= 50:
            p["_kick_spot"] = int(spot.group(1))


def _clean_clocks(plays: list[dict[str, Any]], gid: str, counts: dict[str, RuleCount]) -> bool:
    """Seconds on every play, never increasing within a period; True when the game has a jump."""
    by_period: dict[int, list[dict[str, Any]]] = {}
    for p in plays:
        by_period.setdefault(p["qtr"], []).append(p)
    jumps = 0
    for q, ps in by_period.items():
        start = QUARTER_SECONDS if q <= 4 else 0
        clocks: list[int | None] = [clock_seconds(p["clock_text"]) for p in ps]
        for i, c in enumerate(clocks):
            if c is None:
                clocks[i] = clocks[i - 1] if i else start
                counts["clock_unreadable"].add(example=gid)
        values: list[int] = [c if c is not None else start for c in clocks]
        for i in range(len(values) - 1):
            prev = values[i - 1] if i else start
            if values[i] < values[i + 1] <= prev:
                values[i] = values[i + 1]
                counts["clock_dip"].add(example=f"{gid} q{q}")
        last = None
        for i, c in enumerate(values):
            if last is not None:
                if c > last:
                    values[i] = c = last
                    counts["clock_backwards"].add(example=f"{gid} q{q}")
                elif last - c >= CLOCK_JUMP_SECONDS:
                    jumps += 1
            last = c
        for p, c in zip(ps, values, strict=True):
            p["clock"] = c
            p["sec_remaining_half"] = sec_remaining_half(q, c)
            p["sec_remaining_game"] = sec_remaining_game(q, c)
    if jumps:
        counts["clock_jump_5min"].add(1, affected=jumps, example=gid)
    return bool(jumps)


def _play_fields(p: dict[str, Any], r: dict[str, Any], counts: dict[str, RuleCount], gid: str) -> None:
    """Yards, down and distance, yard line and flags of one typed play."""
    kind, text, ctype = p["play_type"], r["text"], r["cfbd_type"]
    ytg = r["yards_to_goal"]
    if p.get("_kick_spot") is not None:
        p["yardline_100"] = p["_kick_spot"]
    elif ytg is None or not 0 <= ytg <= 100:
        p["yardline_100"] = None
        counts["missing_yardline"].add(example=gid)
    else:
        p["yardline_100"] = ytg if p["_flipped"] else 100 - ytg
    if kind in ("kickoff", "extra_point", "two_point"):
        p["down"], p["ydstogo"] = 0, 0
    else:
        p["down"] = r["down"] if 0 <= r["down"] <= 4 else 0
        dist = r["distance"]
        if not 0 <= dist <= 100:
            counts["distance_out_of_range"].add(example=gid)
            dist = min(max(dist, 0), 100)
        p["ydstogo"] = dist
    yards = 0
    turnover = pt.is_turnover(ctype, kind, text)
    if kind in OFFENSE:
        yards = r["cfbd_yards"]
        if pt.is_interception(ctype, text) or ctype == "Fumble Return Touchdown":
            if yards:
                counts["return_yards_not_offense"].add(example=gid)
            yards = 0
        elif pt.is_penalty(ctype, text):
            own = pt.play_yards(text)
            if own is not None and own != yards:
                counts["yards_net_of_penalty"].add(example=gid)
                yards = own
        lo, hi = YARDS_RANGE
        if not lo <= yards <= hi:
            counts["yards_out_of_range"].add(example=gid)
            yards = min(max(yards, lo), hi)
    p["yards_gained"] = yards
    gained = kind in OFFENSE and not turnover and p["down"] > 0 and 0 < p["ydstogo"] <= yards
    p["first_down"] = pt.says_first_down(text) or gained
    p["turnover"] = turnover
    p["penalty"] = pt.is_penalty(ctype, text)


def _source_score(r: dict[str, Any], home: str) -> tuple[int | None, int | None]:
    """CFBD's score columns of a row as (home, away); ``None`` where absent or negative."""
    so, sd = r["offense_score"], r["defense_score"]
    h, a = (so, sd) if r["offense"] == home else (sd, so)
    return (h if h is not None and h >= 0 else None, a if a is not None and a >= 0 else None)


def _missing_points(
    plays: list[dict[str, Any]], src: list[tuple[int | None, int | None]], finals: tuple[int, int],
    counts: dict[str, RuleCount], gid: str,
) -> None:
    """Rule ``points_only_in_score_columns``: points CFBD's score columns hold from some row to the
    end of the game that the plays' text does not show. For each side, the deficit of the row
    (source score minus the score rebuilt after the row) is taken at its smallest over the rest
    of the game, so a deficit counts only when every later row keeps it (the columns' stray
    "score before" rows never add points); each rise of that running minimum is added to the row
    where it starts when that row scores, else to the play before it, never beyond the final."""
    for side, key in ((0, "home_points"), (1, "away_points")):
        after, total = [], 0
        for p in plays:
            total += p[key]
            after.append(total)
        budget = finals[side] - total
        if budget <= 0:
            continue
        inf = 10**9
        suffix = [inf] * (len(plays) + 1)
        for i in range(len(plays) - 1, -1, -1):
            value = src[i][side]
            deficit = inf if value is None else value - after[i]
            suffix[i] = min(deficit, suffix[i + 1])
        added = 0
        for i in range(len(plays)):
            if suffix[i] == inf or suffix[i] <= added or budget <= 0:
                continue
            extra = min(suffix[i] - added, budget)
            target = plays[i] if plays[i][key] or i == 0 else plays[i - 1]
            target[key] += extra
            added += extra
            budget -= extra
            counts["points_only_in_score_columns"].add(1, affected=extra, example=f"{gid}:{target['play_id']}")


def _surplus_points(
    plays: list[dict[str, Any]], src: list[tuple[int | None, int | None]], finals: tuple[int, int],
    counts: dict[str, RuleCount], gid: str,
) -> None:
    """Rule ``points_not_in_score_columns``, the mirror of ``points_only_in_score_columns``: when
    the rebuilt score exceeds the final, points the text gives on a play (a field goal nullified by
    a penalty, a try written as good) that CFBD's score columns never hold from that play to the
    end of the game are taken off that play (never more than it scored, nor than the surplus)."""
    for side, key in ((0, "home_points"), (1, "away_points")):
        after, total = [], 0
        for p in plays:
            total += p[key]
            after.append(total)
        surplus = total - finals[side]
        if surplus <= 0:
            continue
        ninf = -(10**9)
        suffix = [ninf] * (len(plays) + 1)
        for i in range(len(plays) - 1, -1, -1):
            value = src[i][side]
            gap = ninf if value is None else value - after[i]
            suffix[i] = max(gap, suffix[i + 1])
        removed = 0
        for i, p in enumerate(plays):
            if suffix[i] == ninf or -suffix[i] <= removed or surplus <= 0 or not p[key]:
                continue
            take = min(-suffix[i] - removed, surplus, p[key])
            p[key] -= take
            if p["touchdown"] and not p["home_points"] and not p["away_points"]:
                p["touchdown"] = False
            removed += take
            surplus -= take
            counts["points_not_in_score_columns"].add(1, affected=take, example=f"{gid}:{p['play_id']}")


def _score(
    plays: list[dict[str, Any]], rows: list[dict[str, Any]], entry: GameEntry,
    counts: dict[str, RuleCount], gid: str,
) -> tuple[int, int]:
    """Points per play (home/away), the score before each play, the final rebuilt."""
    home = entry.home_team
    h = a = 0
    last_td: str | None = None
    for p, r in zip(plays, rows, strict=True):
        td, td_pts, off_pts, def_pts = pt.points(r["cfbd_type"], p["play_type"], r["text"])
        if p["play_type"] in ("extra_point", "two_point") and r["cfbd_type"] != "Defensive 2pt Conversion":
            if last_td is not None and last_td != p["posteam"]:
                # a try is the scoring team's (the second feed lists some under the other team)
                p["posteam"], p["defteam"] = p["defteam"], p["posteam"]
                counts["try_listed_under_other_team"].add(example=f"{gid}:{p['play_id']}")
        pos_home = p["posteam"] == home
        run_off, run_def = (h, a) if pos_home else (a, h)
        if td == "?":
            # CFBD's columns are the row's offense's; on a scoring row they show the score after it
            src_off, src_def = (r["offense_score"], r["defense_score"])
            if r["offense"] != p["posteam"]:
                src_off, src_def = src_def, src_off
            if src_def is not None and src_def >= run_def + 6 and not (src_off is not None and src_off >= run_off + 6):
                td = "def"
            elif src_off is not None and src_off >= run_off + 6:
                td = "off"
            else:
                td = pt.AMBIGUOUS_TD_TYPES.get(r["cfbd_type"], "off")
            counts["scoring_side_from_score_columns"].add(example=f"{gid}:{p['play_id']}")
        off_total = off_pts + (td_pts if td == "off" else 0)
        def_total = def_pts + (td_pts if td == "def" else 0)
        p["touchdown"] = td is not None
        p["_td_side"] = td
        if td is not None:
            last_td = p["posteam"] if td == "off" else p["defteam"]
        p["_safety"] = def_pts == 2 and p["play_type"] != "two_point"
        p["home_points"], p["away_points"] = (off_total, def_total) if pos_home else (def_total, off_total)
        h, a = h + p["home_points"], a + p["away_points"]
    src = [_source_score(r, home) for r in rows]
    assert entry.home_score is not None and entry.away_score is not None
    finals = (entry.home_score, entry.away_score)
    _missing_points(plays, src, finals, counts, gid)
    _surplus_points(plays, src, finals, counts, gid)
    h = a = 0
    disagree = 0
    for p, s in zip(plays, src, strict=True):
        p["home_score_before"], p["away_score_before"] = h, a
        hp, ap = p["home_points"], p["away_points"]
        if s != (h, a) and s != (h + hp, a + ap):
            disagree += 1
        h, a = h + hp, a + ap
    if disagree:
        counts["source_score_columns_disagree"].add(1, affected=disagree, example=gid)
    return h, a


def _terminal(p: dict[str, Any]) -> str | None:
    """The drive result a play ends its drive with (kicks and turnovers), else ``None``."""
    kind, text = p["play_type"], p["desc"]
    if kind == "field_goal":
        if p["home_points"] + p["away_points"] >= 3:
            return "Field Goal"
        return "Blocked FG" if pt.is_blocked(text) else "Missed FG"
    if kind == "punt":
        return "Blocked Punt" if pt.is_blocked(text) else "Punt"
    if p["turnover"]:
        return "Interception" if pt.is_interception(p["_cfbd"], text) else "Fumble"
    return None


def _drive_result(dplays: list[dict[str, Any]], posteam: str, last_in_half: bool) -> str:
    """The drive's ending in the NFL tables' words, from its plays: a touchdown (the offense's, or
    how the defense's came: interception, fumble, punt, field goal); a safety; else the drive's
    last kick or turnover (CFBD sometimes lists a play of the next drive after it); a failed 4th
    down; the end of the half or game; else UNKNOWN."""
    core = [p for p in dplays if p["play_type"] != "kickoff"] or dplays
    for p in reversed(core):
        if p["touchdown"]:
            scorer = p["posteam"] if p["_td_side"] == "off" else p["defteam"]
            if scorer == posteam:
                return "Touchdown"
            text, kind = p["desc"], p["play_type"]
            if pt.is_interception(p["_cfbd"], text):
                return "Interception"
            if kind == "punt":
                return "Blocked Punt" if pt.is_blocked(text) else "Punt"
            if kind == "field_goal":
                return "Blocked FG" if pt.is_blocked(text) else "Missed FG"
            if "fumble" in text.lower() or "Fumble" in p["_cfbd"] or kind in OFFENSE:
                return "Fumble"
            break
    if any(p["_safety"] and p["defteam"] != posteam for p in core):
        return "Safety"
    events = [p for p in dplays if p["play_type"] not in _NOT_EVENTS]
    for p in reversed(events):
        ending = _terminal(p)
        if ending:
            return ending
    last = events[-1] if events else None
    if last is not None and last["posteam"] == posteam and last["down"] == 4 and last["play_type"] in SNAPS and not last["first_down"]:
        return "Downs"
    if last_in_half:
        qtr = (last or dplays[-1])["qtr"]
        return "End of Half" if qtr <= 2 else "End of Game"
    return "UNKNOWN"


def _posteam(dplays: list[dict[str, Any]]) -> str:
    """The team with the ball: most of the drive's snaps; a drive of kicks only is the receiver's."""
    snaps = [p["posteam"] for p in dplays if p["play_type"] not in _NOT_EVENTS]
    if snaps:
        return Counter(snaps).most_common(1)[0][0]
    kicks = [p for p in dplays if p["play_type"] == "kickoff"]
    return kicks[-1]["defteam"] if kicks else Counter(p["posteam"] for p in dplays).most_common(1)[0][0]


def _lost_fumbles(plays: list[dict[str, Any]], gid: str, counts: dict[str, RuleCount]) -> None:
    """Rule ``fumble_lost_from_possession``: a fumble on a snap that CFBD did not type as lost
    (e.g. ``Sack`` with "fumbled, recovered by <defense>") is a turnover when the next snap of the
    half is the defense's (a failed 4th down or a touchdown on the play aside)."""
    snap_idx = [i for i, p in enumerate(plays) if p["play_type"] in (*SNAPS, "punt", "field_goal")]
    for i, p in enumerate(plays):
        if p["turnover"] or p["touchdown"] or p["play_type"] not in SNAPS or "fumble" not in p["desc"].lower():
            continue
        if p["down"] == 4 and not p["first_down"]:
            continue
        nxt = next((plays[j] for j in snap_idx if j > i), None)
        if nxt is not None and nxt["posteam"] == p["defteam"] and _half(nxt["qtr"]) == _half(p["qtr"]):
            p["turnover"] = True
            p["first_down"] = False
            counts["fumble_lost_from_possession"].add(example=f"{gid}:{p['play_id']}")


def _drives(plays: list[dict[str, Any]], gid: str, counts: dict[str, RuleCount]) -> list[dict[str, Any]]:
    """Drive rows (and each play's ``drive_id``: the drive's number 1..n in play order).

    CFBD's drives, in order; a drive that shows no ending and is followed, in the same half, by a
    drive of the same team that does not start with a kickoff is one possession CFBD split in two:
    merged (rule ``drive_split``)."""
    groups: dict[int, list[dict[str, Any]]] = {}
    for p in plays:
        groups.setdefault(p["_drive_key"], []).append(p)
    merged: list[list[dict[str, Any]]] = []
    for dplays in groups.values():
        if merged:
            prev = merged[-1]
            same_team = _posteam(prev) == _posteam(dplays)
            if (same_team and _half(prev[-1]["qtr"]) == _half(dplays[0]["qtr"]) and dplays[0]["play_type"] != "kickoff"
                    and _drive_result(prev, _posteam(prev), False) == "UNKNOWN"):
                prev.extend(dplays)
                counts["drive_split"].add(example=gid)
                continue
        merged.append(list(dplays))
    groups = dict(enumerate(merged))
    keys = list(groups)
    rows: list[dict[str, Any]] = []
    for n, key in enumerate(keys, start=1):
        dplays = groups[key]
        for p in dplays:
            p["drive_id"] = n
        posteam = _posteam(dplays)
        own = [p for p in dplays if p["posteam"] == posteam and p["play_type"] != "kickoff"]
        first, last = dplays[0], dplays[-1]
        nxt = groups[keys[n]][0] if n < len(keys) else None
        last_in_half = nxt is None or _half(nxt["qtr"]) != _half(last["qtr"])
        start_sec = first["sec_remaining_game"]
        if nxt is not None and not last_in_half:
            end_sec = min(nxt["sec_remaining_game"], start_sec)
        else:
            end_sec = last["sec_remaining_game"] if last["qtr"] > 4 else (1800 if last["qtr"] <= 2 else 0)
            end_sec = min(end_sec, start_sec)
        result = _drive_result(dplays, posteam, last_in_half)
        if result == "UNKNOWN":
            counts["drive_result_unknown"].add(example=f"{gid}:{n}")
        penalty_yds = sum(
            p["_cfbd_yards"] if p["posteam"] == posteam else -p["_cfbd_yards"]
            for p in dplays if p["play_type"] == "no_play"
        )
        rows.append({
            "game_id": gid,
            "drive_id": n,
            "posteam": posteam,
            "qtr": first["qtr"],
            "result": result,
            "start_qtr": first["qtr"],
            "end_qtr": last["qtr"],
            "start_sec_remaining": start_sec,
            "end_sec_remaining": end_sec,
            "start_yardline_100": own[0]["yardline_100"] if own else None,
            "end_yardline_100": own[-1]["yardline_100"] if own else None,
            "plays": sum(1 for p in own if p["play_type"] not in ("extra_point", "two_point")),
            "yards": sum(p["yards_gained"] for p in own if p["play_type"] in OFFENSE),
            "first_downs": sum(1 for p in own if p["first_down"]),
            "penalty_yds": penalty_yds,
            "top_sec": max(0, start_sec - end_sec) if first["qtr"] <= 4 else 0,
        })
    return rows


def _quarters(entry: GameEntry, side: str, final: int, pbp_quarters: list[int], gid: str, counts: dict[str, RuleCount]) -> list[int]:
    """q1..q4 and ot of one side (adding up to ``final``)."""
    listed = list(entry.home_quarters if side == "home" else entry.away_quarters)
    if any(q is None for q in listed):
        missing = [i for i, q in enumerate(listed) if q is None]
        known = sum(q for q in listed if q is not None)
        if len(missing) == 1 and final - known >= 0 and not any(pbp_quarters[4:]):
            listed[missing[0]] = final - known
        else:
            listed = list(pbp_quarters[:4])
        counts["line_scores_missing"].add(example=f"{gid} {side}")
    quarters = [int(q) for q in listed if q is not None]
    if sum(quarters) > final:
        counts["line_scores_exceed_final"].add(example=f"{gid} {side}")
        quarters, left = [], final
        for q in pbp_quarters[:4]:
            quarters.append(min(q, left))
            left -= quarters[-1]
    return [*quarters, final - sum(quarters)]


def _team_stats(team: str, plays: list[dict[str, Any]], drives: list[dict[str, Any]], home: str, away: str) -> dict[str, int]:
    own = [p for p in plays if p["posteam"] == team]
    pass_yds = sum(p["yards_gained"] for p in own if p["play_type"] in ("pass", "sack"))
    rush_yds = sum(p["yards_gained"] for p in own if p["play_type"] == "run")
    penalties = penalty_yds = 0
    other = away if team == home else home
    for p in plays:
        if p["play_type"] != "no_play":
            continue
        text = p["desc"]
        if f"{team} Penalty" in text:
            mine = True
        elif f"{other} Penalty" in text:
            mine = False
        else:  # by who lost yards: the offense's foul moves it back
            mine = (p["_cfbd_yards"] < 0) == (p["posteam"] == team) if p["_cfbd_yards"] else False
        if mine:
            penalties += 1
            penalty_yds += abs(p["_cfbd_yards"])
    return {
        "first_downs": sum(1 for p in own if p["first_down"]),
        "total_yds": pass_yds + rush_yds,
        "pass_yds": pass_yds,
        "rush_yds": rush_yds,
        "pass_att": sum(1 for p in own if p["play_type"] in ("pass", "spike")),
        "rush_att": sum(1 for p in own if p["play_type"] in ("run", "kneel")),
        "penalties": penalties,
        "penalty_yds": penalty_yds,
        "turnovers": sum(1 for p in own if p["turnover"]),
        "top_sec": min(4800, sum(d["top_sec"] for d in drives if d["posteam"] == team)),
        "punts": sum(1 for p in own if p["play_type"] == "punt"),
    }


def parse_game(path: Path, raw: list[dict[str, str]], games: dict[str, GameEntry], counts: dict[str, RuleCount]) -> ParsedGame | None:
    """The game's rows, or ``None`` when a rule drops the whole game (counted)."""
    if not raw:
        counts["game_file_without_plays"].add(example=path.name)
        return None
    gid = (raw[0].get("game_id") or "").strip()
    rows = _rows(path, gid, raw)
    entry = games.get(gid)
    if entry is None:
        counts["game_not_in_games_file"].add(example=gid)
        return None
    if entry.home_score is None or entry.away_score is None:
        counts["game_without_final_score"].add(example=gid)
        return None
    home, away = entry.home_team, entry.away_team
    parsed = ParsedGame(game={}, drives=[], plays=[])

    second_feed = any(r["id"] < 0 or r["drive_id"] < 0 for r in rows)
    rows = _order(rows, gid, counts)
    kept_rows: list[dict[str, Any]] = []
    plays: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    admin = dups = wrong_team = 0
    for r in rows:
        kind, from_text, known = pt.classify(r["cfbd_type"], r["text"])
        parsed.type_counts[(r["cfbd_type"], kind)] += 1
        if {r["offense"], r["defense"]} != {home, away}:
            wrong_team += 1
            continue
        if kind == pt.ADMIN:
            admin += 1
            continue
        key = (r["period"], r["clock_text"], r["text"], r["down"], r["distance"], r["yards_to_goal"], r["offense"], r["cfbd_type"])
        if key in seen:
            dups += 1
            continue
        seen.add(key)
        if not known:
            counts["unknown_play_type"].add(example=r["cfbd_type"])
        elif from_text:
            counts["play_type_from_text"].add(example=f"{r['cfbd_type']} → {kind}")
        posteam, defteam, flipped = r["offense"], r["defense"], False
        if kind == "kickoff" and not second_feed and r["yards_to_goal"] is not None and r["yards_to_goal"] < 50:
            posteam, defteam, flipped = defteam, posteam, True
            counts["kickoff_listed_under_receiver"].add(example=gid)
        kept_rows.append(r)
        plays.append({
            "game_id": gid, "play_id": abs(r["id"]), "drive_id": 0, "play_index": 0, "qtr": r["period"],
            "posteam": posteam, "defteam": defteam, "play_type": kind, "desc": r["text"],
            "clock_text": r["clock_text"], "_flipped": flipped, "_drive_key": abs(r["drive_id"]),
            "_cfbd": r["cfbd_type"], "_cfbd_yards": r["cfbd_yards"],
        })
    if wrong_team:
        counts["play_team_not_in_game"].add(wrong_team, example=gid)
    if admin:
        counts["administrative_entries"].add(admin)
    if dups:
        counts["duplicate_plays"].add(1, affected=dups, example=gid)
    if not plays:
        counts["game_file_without_plays"].add(example=path.name)
        return None
    empty_drives = len({abs(r["drive_id"]) for r in rows}) - len({p["_drive_key"] for p in plays})
    if empty_drives:
        counts["drive_only_administrative"].add(empty_drives, example=gid)

    if second_feed:
        _second_feed_kickoffs(plays, kept_rows, gid, counts)
    for i, p in enumerate(plays, start=1):
        p["play_index"] = i
    jump = _clean_clocks(plays, gid, counts)
    for p, r in zip(plays, kept_rows, strict=True):
        _play_fields(p, r, counts, gid)
    h, a = _score(plays, kept_rows, entry, counts, gid)
    _lost_fumbles(plays, gid, counts)
    drives = _drives(plays, gid, counts)

    pbp_q = {side: [0] * 5 for side in ("home", "away")}
    for p in plays:
        slot = min(p["qtr"], 5) - 1
        pbp_q["home"][slot] += p["home_points"]
        pbp_q["away"][slot] += p["away_points"]
    game: dict[str, Any] = {
        "game_id": gid, "season": entry.season, "week": entry.week, "season_type": entry.season_type,
        "date": entry.date, "home_team": home, "away_team": away,
    }
    for side, team, final in (("home", home, entry.home_score), ("away", away, entry.away_score)):
        q1, q2, q3, q4, ot = _quarters(entry, side, final, pbp_q[side], gid, counts)
        game.update({f"{side}_score": final, f"{side}_q1": q1, f"{side}_q2": q2, f"{side}_q3": q3, f"{side}_q4": q4, f"{side}_ot": ot})
        game.update({f"{side}_{k}": v for k, v in _team_stats(team, plays, drives, home, away).items()})
    last = plays[-1]
    complete = last["qtr"] >= 5 or (last["qtr"] == 4 and last["clock"] <= INCOMPLETE_LAST_PLAY_SECONDS)
    consistent = (h, a) == (entry.home_score, entry.away_score)
    game.update({
        "clock_jump": jump, "pbp_home_score": h, "pbp_away_score": a,
        "pbp_score_consistent": consistent, "pbp_complete": complete,
        "neutral_site": entry.neutral_site, "conference_game": entry.conference_game,
        "home_division": entry.home_division, "away_division": entry.away_division,
        "home_conference": entry.home_conference, "away_conference": entry.away_conference,
    })
    if not complete:
        counts["incomplete_pbp"].add(example=gid)
    if not consistent:
        counts["pbp_score_mismatch"].add(example=f"{gid} pbp {h}-{a} final {entry.home_score}-{entry.away_score}")
    for p in plays:
        for k in [k for k in p if k.startswith("_") or k in ("clock", "clock_text")]:
            del p[k]
    parsed.game, parsed.drives, parsed.plays = game, drives, plays
    return parsed
