"""Errors that carry a message for the user (in Italian) rather than a stack trace."""


class UserError(ValueError):
    """Bad input: the message is shown to the user and nothing is written."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
