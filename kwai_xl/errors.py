"""The one exception the CLI turns into a one-line message and exit code 2."""


class KwaiError(Exception):
    """Bad input or a refused operation; the message is one line, naming file, field and value.

    ``field`` is the path of the offending field in a quarter file, where there is one; ``problems``
    holds (field path, one-line problem) of every problem found, the message naming the first.
    """

    def __init__(self, message: str, field: tuple = ()):
        super().__init__(message)
        self.field = tuple(field)
        self.problems: list[tuple[tuple, str]] = [(self.field, message)]


class TemplateError(Exception):
    """A bug in a sheet template, label set or chart spec: a developer's error, shown with its traceback.

    Never a :class:`KwaiError`, so the CLI does not dress it up as a user's bad input.
    """
