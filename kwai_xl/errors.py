"""The one exception the CLI turns into a one-line message and exit code 2."""


class KwaiError(Exception):
    """Bad input or a refused operation; the message is one line, naming file, field and value."""
