"""People, the links of agencies' records to them, and the human decisions that shape them.

Everything here is append-only. A record's link "as known on X" is its latest link (by id) whose
`known_from` is on or before X; nothing is ever updated, so every past answer can be replayed.
"""

from .people import Decision, Link, LinkageModel, LinkMethod, Person, ReviewItem

__all__ = ["Decision", "Link", "LinkMethod", "LinkageModel", "Person", "ReviewItem"]
