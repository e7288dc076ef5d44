"""The registered datasets: one light schema module per dataset (:mod:`.nfl_pregame`, :mod:`.nfl_playcall`,
:mod:`.nfl_games`, :mod:`.cfb_games`; pydantic only) beside the builders their ``build()`` imports
(:mod:`.pregame`, :mod:`.playcall`, :mod:`.games`; pandas and torch), and the targets the hierarchical
model shares with its data (:mod:`.targets`)."""
