"""Storage of the API credentials that keeps the key out of every output."""

from __future__ import annotations

import base64
from typing import NoReturn

__all__ = ["Credentials"]


class Credentials:
    """Username and API key, with the ``Authorization`` header built from them.

    ``repr`` and ``str`` show the username only. Pickling raises, because a
    pickle would carry the key to wherever it is stored.
    """

    __slots__ = ("_authorization", "username")

    def __init__(self, username: str, api_key: str) -> None:
        token = base64.b64encode(f"{username}:{api_key}".encode()).decode("ascii")
        self.username = username
        self._authorization = f"Basic {token}"

    @property
    def authorization(self) -> str:
        """Value of the ``Authorization`` header."""
        return self._authorization

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, api_key=<hidden>)"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        msg = "Credentials cannot be pickled, since the pickle would contain the key"
        raise TypeError(msg)
