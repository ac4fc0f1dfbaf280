"""The one exception parsing raises for a file a user gave us: its message is Vietnamese and
names the reason, so the CLI can print it as is."""


class ParseError(Exception):
    """A file that cannot be read as a plan (corrupt, encrypted, empty, too large, not a plan)."""
