"""The error every engine raises for input it cannot use: it names the field, and the row for files."""

from __future__ import annotations


class InputError(ValueError):
    """Input an engine cannot use, naming the field (and the row, for files)."""

    def __init__(self, field: str, message: str, row: int | None = None) -> None:
        self.field = field
        self.row = row
        self.reason = message
        where = f"row {row}, {field}" if row is not None else field
        super().__init__(f"{where}: {message}")
