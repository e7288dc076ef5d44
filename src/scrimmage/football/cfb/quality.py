"""Named data-quality rules of the CFBD play-by-play: each problem counted, none fixed silently.

The same machinery as the NFL rules (:class:`scrimmage.football.nfl.quality.Rule` /
:class:`~scrimmage.football.nfl.quality.RuleCount`, actions ``dropped`` / ``repaired`` /
``kept-flagged``), with the rules this source needs. A rule is declared once here, counted by name
in :mod:`.parse` or :mod:`.ingest`, and made to fire by a test in tests/football/cfb/.

Conventions (not problems), the same as the NFL tables: ``posteam`` of a kickoff or punt is the
kicking team; ``yardline_100`` counts from the offense's own goal line (own 25 → 25), i.e.
``100 - yards_to_goal``; ``home_points``/``away_points`` are the points scored on the play, the
try included on the touchdown play.
"""

from __future__ import annotations

from scrimmage.football.nfl.quality import DROPPED, FLAGGED, REPAIRED, Rule, RuleCount

CLOCK_JUMP_SECONDS = 300
INCOMPLETE_LAST_PLAY_SECONDS = 120

RULES: dict[str, Rule] = {rule.name: rule for rule in (
    Rule("duplicate_games_file_rows", DROPPED,
         "a game id listed twice in the games file: the first row is kept"),
    Rule("game_not_in_games_file", DROPPED,
         "play-by-play file whose game the games file lacks (no home/away, venue or final score): not in the tables"),
    Rule("game_without_final_score", DROPPED,
         "game whose games-file row has no final score (not completed): not in the tables"),
    Rule("game_file_without_plays", DROPPED,
         "play-by-play file with a header and no rows (or only administrative rows): not in the tables"),
    Rule("duplicate_game_file", DROPPED,
         "a second play-by-play file of a game already read (files in name order): skipped"),
    Rule("play_team_not_in_game", DROPPED,
         "play whose offense/defense are not the game's home and away teams (games file): dropped"),
    Rule("negative_source_ids", REPAIRED,
         "games from CFBD's second feed number plays and drives with negative ids, drives counting down: ordered "
         "by |drive_id|, play_number; play_id = |id| (detected = games, affected = plays)"),
    Rule("administrative_entries", DROPPED,
         "timeouts, end of period/half/game/regulation, coin toss, two-minute warning: not plays"),
    Rule("duplicate_plays", DROPPED,
         "same period, clock, text, down, distance, yard line, offense and type as an earlier play of the game "
         "(the second feed repeats plays; detected = games, affected = extra copies)"),
    Rule("period_out_of_order", REPAIRED,
         "play listed among plays of an earlier period (e.g. a 2nd-half kickoff inside a 1st-half drive): moved "
         "after them (plays are kept in period order)"),
    Rule("unknown_play_type", FLAGGED,
         "CFBD play_type the mapping table lacks: typed from the text (else 'other') and counted"),
    Rule("play_type_from_text", REPAIRED,
         "type decided or changed by the text: kneel-downs typed Rush, spikes typed Pass Incompletion, kickoffs "
         "typed Punt, fumbles / safeties / uncategorized rows whose CFBD type names no play"),
    Rule("kickoff_listed_under_receiver", REPAIRED,
         "kickoff listed under the receiving team: posteam set to the kicking team, as everywhere else. Main feed: "
         "when yards_to_goal < 50 (never in the sample). Second feed (negative ids; lists kickoffs under either "
         "team, yards_to_goal unreliable): the receiver is the next snap's offense (after a return touchdown, its "
         "defense), the spot is read from 'kicks N yards from XXX 35'"),
    Rule("clock_unreadable", REPAIRED,
         "clock that is not M:SS within 0:00-15:00: takes the previous play's clock in the period"),
    Rule("clock_dip", REPAIRED,
         "one play's clock below the next play's, which is no later than the previous play's (a stray low "
         "clock, e.g. 0:06 amid 9:43 and 9:36): set to the next play's clock"),
    Rule("clock_backwards", REPAIRED,
         "clock later than an earlier play in the same period (e.g. a stray 15:00 mid-quarter): clamped to it"),
    Rule("clock_jump_5min", FLAGGED,
         "five minutes or more of clock between consecutive plays of a period: games flagged (clock_jump; "
         "detected = games, affected = jumps)"),
    Rule("distance_out_of_range", REPAIRED,
         "yards to go below 0 or above 100 (a few negative distances): clamped to 0-100"),
    Rule("missing_yardline", FLAGGED, "play without yards_to_goal (or outside 0-100): yardline_100 is null"),
    Rule("yards_net_of_penalty", REPAIRED,
         "run/pass/sack with a penalty enforced on it: CFBD's yards_gained nets the penalty; the play's own "
         "yardage is read from the text (affected = plays whose yards changed)"),
    Rule("return_yards_not_offense", REPAIRED,
         "interceptions and fumble-return touchdowns: CFBD's yards_gained is the defense's return; the "
         "offense's yards_gained is set to 0"),
    Rule("yards_out_of_range", REPAIRED, "yards gained outside -100..110: clipped"),
    Rule("scoring_side_from_score_columns", REPAIRED,
         "touchdown on a fumble / sack / other play whose type does not say who scored: the side whose score "
         "the row's score columns raise by 6 or more (else the type's usual side)"),
    Rule("points_only_in_score_columns", REPAIRED,
         "points CFBD's score columns keep from some row to the end of the game that the plays' text does not "
         "show (a try not written after a touchdown, a scoring play missing from the export): added to that row "
         "when it scores, else to the play before it; never beyond the games file's final (affected = points)"),
    Rule("points_not_in_score_columns", REPAIRED,
         "when the rebuilt score exceeds the final: points the text gives on a play (a field goal nullified by "
         "a penalty, a try written as good) that CFBD's score columns never hold from that play to the end: "
         "taken off that play (affected = points)"),
    Rule("try_listed_under_other_team", REPAIRED,
         "separate extra-point / two-point row listed under the team that did not score the touchdown before "
         "it (second feed): posteam set to the scoring team, which gets the points"),
    Rule("source_score_columns_disagree", FLAGGED,
         "play whose CFBD offense_score/defense_score (negative in a few rows) match neither the score rebuilt "
         "before nor after the play: the rebuilt score is kept (detected = games, affected = plays)"),
    Rule("line_scores_missing", REPAIRED,
         "quarter scores missing in the games file: one missing quarter = final minus the others; more: the "
         "quarters' points rebuilt from the plays, overtime = the rest"),
    Rule("line_scores_exceed_final", REPAIRED,
         "games-file quarter scores that add up to more than the final: quarters taken from the plays "
         "(capped so they add up to the final)"),
    Rule("drive_only_administrative", DROPPED,
         "CFBD drive with no play left once administrative rows are dropped: not in the drives table"),
    Rule("fumble_lost_from_possession", REPAIRED,
         "fumble on a snap CFBD did not type as lost (e.g. a Sack whose text says 'fumbled, recovered by' the "
         "defense) followed by the defense's snap in the same half: turnover=True"),
    Rule("drive_split", REPAIRED,
         "CFBD drive that shows no ending followed, in the same half, by a drive of the same team that does not "
         "start with a kickoff: one possession, merged"),
    Rule("drive_result_unknown", FLAGGED,
         "drive whose plays show no ending (no score, kick, turnover, failed 4th down or end of half): "
         "result 'UNKNOWN'"),
    Rule("incomplete_pbp", FLAGGED,
         "play-by-play stops early (last play before Q4, or in Q4 with > 2 min left and no OT): games flagged "
         "pbp_complete=False"),
    Rule("pbp_score_mismatch", FLAGGED,
         "score rebuilt from the plays differs from the games file's final: games flagged pbp_score_consistent=False"),
)}


def new_counts() -> dict[str, RuleCount]:
    """One zeroed counter per rule."""
    return {name: RuleCount(rule.action) for name, rule in RULES.items()}
