"""The football commands: ``scrimmage data nfl`` (:mod:`.nfl`), ``data cfb`` (:mod:`.cfb`) and ``simulate``
(:mod:`.simulate`); thin: parse, call the library, print."""
