"""The one exception the CLI turns into a one-line message and exit code 2."""


class KwaiError(Exception):
    """Bad input or a refused operation; the message is one line, naming file, field and value.

    ``field`` is the path of the offending field in a quarter file, where there is one.
    """

    def __init__(self, message: str, field: tuple = ()):
        super().__init__(message)
        self.field = tuple(field)
