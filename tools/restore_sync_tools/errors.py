"""What the person running a tool can fix: printed as a message, without a traceback."""

from __future__ import annotations


class UserError(Exception):
    """Something the person running the command can fix; printed as a message, without a traceback."""

    def __init__(self, *problems: str) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)
