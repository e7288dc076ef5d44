"""The registered predictors (``scrimmage predict``): :mod:`.pregame` (``nfl-pregame``) and :mod:`.games`
(``nfl-games``: pregame projection and simulated games of a hierarchical model)."""
