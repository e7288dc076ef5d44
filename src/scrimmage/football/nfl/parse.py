"""One Game Center game dict → plain rows for the games, drives and plays tables.

Parsing is deliberately mechanical (field → column, stat ids → flags and points); every
judgement about bad data (dropping, repairing, flagging) lives in :mod:`quality` so it is
counted. Plays keep their file order (drive by drive, as stored): play ids are not always
chronological (738 games have ids out of order), the stored order is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from scrimmage.football.common.teams import canonical_team
from scrimmage.football.nfl import playtypes as pt
from scrimmage.football.nfl.source import ScheduleGame

QUARTER_SECONDS = 900


@dataclass
class ScoringSummary:
    """One ``scrsummary`` entry: the official list of scoring plays."""

    play_id: int
    kind: str  # TD / FG / SAF / ...
    team: str
    qtr: int
    pat_points: int | None  # points of the try after a TD (None: unknown / not a TD)
    desc: str


@dataclass
class ParsedGame:
    """Rows of one game before quality rules run."""

    game: dict[str, Any]
    drives: list[dict[str, Any]]
    plays: list[dict[str, Any]]
    scoring: list[ScoringSummary] = field(default_factory=list)


def clock_seconds(text: str | None) -> int | None:
    """``"MM:SS"`` → seconds; empty or malformed → ``None``."""
    if not text:
        return None
    mins, _, secs = text.partition(":")
    try:
        return int(mins or 0) * 60 + int(secs or 0)
    except ValueError:
        return None


def sec_remaining_game(qtr: int, clock: int) -> int:
    """Seconds left in regulation for quarters 1-4; in overtime, seconds left in the period."""
    return clock + (4 - qtr) * QUARTER_SECONDS if qtr <= 4 else clock


def sec_remaining_half(qtr: int, clock: int) -> int:
    """Seconds left in the half (overtime: in the period)."""
    return clock + QUARTER_SECONDS if qtr in (1, 3) else clock


def yardline_100(yrdln: str | None, posteam: str) -> int | None:
    """``"CHI 16"`` → yards from ``posteam``'s own goal line (16 if CHI has the ball, else 84).

    ``"50"`` is midfield; an empty field or an unknown side gives ``None``.
    """
    if not yrdln:
        return None
    side, _, num = yrdln.strip().rpartition(" ")
    try:
        yards = int(num)
    except ValueError:
        return None
    if not side:
        return yards if yards == 50 else None
    if not posteam:
        return None
    return yards if canonical_team(side) == posteam else 100 - yards


_RE_PAT = re.compile(r"\(([^()]*(?:\([^()]*\)[^()]*)*)\)\s*(?:Drive:.*)?$")


def pat_points(desc: str) -> int | None:
    """Points of the try after a touchdown, read from a scoring-summary description."""
    m = _RE_PAT.search(desc.strip())
    if not m:
        return None
    pat = m.group(1).lower()
    if any(w in pat for w in ("failed", "blocked", "aborted", "no good", "short", "missed")):
        return 0
    if "kick is good" in pat:
        return 1
    if pat.endswith((" run", " pass")) or "two-point" in pat or "two point" in pat:
        return 2
    return None


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _team_stats(side: dict[str, Any], prefix: str) -> dict[str, Any]:
    stats = side.get("stats") or {}
    team = stats.get("team") or {}
    score = side.get("score") or {}
    ot = sum(_int(v) for k, v in score.items() if k.isdigit() and int(k) >= 5)
    return {
        f"{prefix}_score": _int(score.get("T")),
        f"{prefix}_q1": _int(score.get("1")),
        f"{prefix}_q2": _int(score.get("2")),
        f"{prefix}_q3": _int(score.get("3")),
        f"{prefix}_q4": _int(score.get("4")),
        f"{prefix}_ot": ot,
        f"{prefix}_first_downs": _int(team.get("totfd")),
        f"{prefix}_total_yds": _int(team.get("totyds")),
        f"{prefix}_pass_yds": _int(team.get("pyds")),
        f"{prefix}_rush_yds": _int(team.get("ryds")),
        f"{prefix}_pass_att": sum(_int(p.get("att")) for p in (stats.get("passing") or {}).values()),
        f"{prefix}_rush_att": sum(_int(p.get("att")) for p in (stats.get("rushing") or {}).values()),
        f"{prefix}_penalties": _int(team.get("pen")),
        f"{prefix}_penalty_yds": _int(team.get("penyds")),
        f"{prefix}_turnovers": _int(team.get("trnovr")),
        f"{prefix}_top_sec": clock_seconds(team.get("top")) or 0,
        f"{prefix}_punts": _int(team.get("pt")),
    }


def _scoring(
    players: dict[str, list[dict[str, Any]]], stat_ids: set[int], posteam: str, defteam: str,
    desc: str, note: str | None, summary_team: str | None,
) -> list[tuple[str, int]]:
    """(team, points) scored on one play, from its stat ids.

    Team comes from the player's ``clubcode``; early seasons often lack it, then the official
    scoring summary's team for this play, then the side implied by the stat (offense/defense).
    """
    if not stat_ids & _SCORING_IDS and note != "SAF" and pt.DEF_TWO_POINT_ID not in stat_ids:
        return []
    club: dict[int, str] = {}
    for entries in players.values():
        for e in entries:
            sid = e.get("statId")
            if sid in _SCORING_IDS and e.get("clubcode") and sid not in club:
                club[sid] = canonical_team(e["clubcode"])
    out: list[tuple[str, int]] = []
    td = [sid for sid in stat_ids if sid in pt.TOUCHDOWN_IDS]
    if td:
        sid = min(td)
        side = posteam if pt.TOUCHDOWN_IDS[sid] == "off" else defteam
        out.append((club.get(sid) or summary_team or side, 6))
    if pt.FG_GOOD_ID in stat_ids:
        out.append((club.get(pt.FG_GOOD_ID) or posteam, 3))
    if pt.XP_GOOD_ID in stat_ids:
        out.append((club.get(pt.XP_GOOD_ID) or posteam, 1))
    good2 = stat_ids & pt.TWO_POINT_GOOD_IDS
    if good2:
        sid = min(good2)
        out.append((club.get(sid) or posteam, 2))
    if pt.DEF_TWO_POINT_ID in stat_ids:
        _, _, after = desc.upper().partition("DEFENSIVE TWO-POINT ATTEMPT")
        if "ATTEMPT SUCCEEDS" in after:
            out.append((defteam, 2))
    if pt.SAFETY_ID in stat_ids:
        out.append((club.get(pt.SAFETY_ID) or defteam, 2))
    elif note == "SAF":
        out.append((defteam, 2))
    return out


_SCORING_IDS = frozenset(pt.TOUCHDOWN_IDS) | {pt.FG_GOOD_ID, pt.XP_GOOD_ID, pt.SAFETY_ID} | pt.TWO_POINT_GOOD_IDS


def parse_game(game_id: str, game: dict[str, Any], sched: ScheduleGame | None) -> ParsedGame:
    """Turn one game dict into rows (no rows are dropped here; see :mod:`quality`)."""
    home = canonical_team((game.get("home") or {}).get("abbr"))
    away = canonical_team((game.get("away") or {}).get("abbr"))
    if sched is not None:
        home = sched.home_team or home
        away = sched.away_team or away
    row: dict[str, Any] = {
        "game_id": game_id,
        "season": sched.season if sched else int(game_id[:4]) - (1 if int(game_id[4:6]) <= 2 else 0),
        "week": sched.week if sched else 0,
        "season_type": sched.season_type if sched else "",
        "date": sched.date if sched else None,
        "home_team": home,
        "away_team": away,
    }
    row.update(_team_stats(game["home"], "home"))
    row.update(_team_stats(game["away"], "away"))

    scoring: list[ScoringSummary] = []
    summary_team: dict[int, str] = {}
    for pid, s in (game.get("scrsummary") or {}).items():
        kind = str(s.get("type") or "")
        desc = str(s.get("desc") or "")
        entry = ScoringSummary(
            play_id=_int(pid), kind=kind, team=canonical_team(s.get("team")), qtr=_int(s.get("qtr")),
            pat_points=pat_points(desc) if kind == "TD" else None, desc=desc,
        )
        scoring.append(entry)
        summary_team[entry.play_id] = entry.team

    drives: list[dict[str, Any]] = []
    plays: list[dict[str, Any]] = []
    other = {home: away, away: home}
    index = 0
    for key, drive in (game.get("drives") or {}).items():
        if not key.isdigit():
            continue  # e.g. "crntdrv", the number of the drive in progress
        if not isinstance(drive, dict):
            raise TypeError(f"drive {key} is not an object")  # the ingest names the file and the field
        drive_id = int(key)
        dpos = canonical_team(drive.get("posteam"))
        start = drive.get("start") or {}
        end = drive.get("end") or {}
        sq, eq = _int(start.get("qtr")), _int(end.get("qtr"))
        sc, ec = clock_seconds(start.get("time")), clock_seconds(end.get("time"))
        drives.append({
            "game_id": game_id,
            "drive_id": drive_id,
            "posteam": dpos,
            "qtr": _int(drive.get("qtr")) or sq,  # drives without plays lack it
            "result": str(drive.get("result") or ""),
            "start_qtr": sq,
            "end_qtr": eq,
            "start_sec_remaining": sec_remaining_game(sq, sc) if sc is not None and sq else None,
            "end_sec_remaining": sec_remaining_game(eq, ec) if ec is not None and eq else None,
            "start_yardline_100": yardline_100(start.get("yrdln"), dpos),
            "end_yardline_100": yardline_100(end.get("yrdln"), dpos),
            "plays": _int(drive.get("numplays")),
            "yards": _int(drive.get("ydsgained")),
            "first_downs": _int(drive.get("fds")),
            "penalty_yds": _int(drive.get("penyds")),
            "top_sec": clock_seconds(drive.get("postime")) or 0,
        })
        for pid, p in (drive.get("plays") or {}).items():
            index += 1
            players = p.get("players") or {}
            stat_ids = {e.get("statId") for entries in players.values() for e in entries}
            desc = str(p.get("desc") or "")
            note = p.get("note")
            posteam = canonical_team(p.get("posteam"))
            admin = pt.is_administrative(stat_ids, desc, note)
            if not posteam and not admin:
                posteam = dpos
            defteam = other.get(posteam, "")
            qtr = _int(p.get("qtr"))
            kind = "admin" if admin else pt.play_type(stat_ids, desc, note)
            yards = 0
            if kind in pt.OFFENSIVE_TYPES:
                yards = sum(
                    _int(e.get("yards")) for entries in players.values() for e in entries
                    if e.get("statId") in pt.YARDS_IDS
                )
            points = [] if admin else _scoring(
                players, stat_ids, posteam, defteam, desc, note, summary_team.get(_int(pid))
            )
            plays.append({
                "game_id": game_id,
                "play_id": _int(pid),
                "drive_id": drive_id,
                "play_index": index,
                "qtr": qtr,
                "clock": clock_seconds(p.get("time")),
                "down": _int(p.get("down")),
                "ydstogo": _int(p.get("ydstogo")),
                "yardline_100": yardline_100(p.get("yrdln"), posteam),
                "posteam": posteam,
                "defteam": defteam,
                "play_type": kind,
                "yards_gained": yards,
                "first_down": bool(stat_ids & pt.FIRST_DOWN_IDS),
                "touchdown": any(sid in pt.TOUCHDOWN_IDS for sid in stat_ids),
                "turnover": bool(stat_ids & pt.TURNOVER_IDS),
                "penalty": pt.PENALTY_ID in stat_ids or "PENALTY" in desc,
                "desc": desc,
                "home_points": sum(n for t, n in points if t == home),
                "away_points": sum(n for t, n in points if t == away),
                "has_stats": bool(stat_ids),
                "_dup_key": (qtr, p.get("time"), desc, p.get("down"), p.get("ydstogo"), p.get("yrdln"), posteam),
            })
    return ParsedGame(game=row, drives=drives, plays=plays, scoring=scoring)
