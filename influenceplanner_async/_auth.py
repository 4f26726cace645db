"""Storage of the API credentials that keeps the key out of every output."""

from __future__ import annotations

import base64
from typing import NoReturn

__all__ = ["Credentials", "HiddenValue"]

_HIDDEN = "<hidden>"


class HiddenValue(str):
    """A string whose ``repr`` hides its content.

    The ``Authorization`` header value is stored as one, so that a dict of
    headers shows ``'<hidden>'`` wherever Python builds a repr: in a log line
    that formats the dict, in a debugger, and in a traceback that captures
    local variables. ``str()`` still returns the value, because aiohttp
    converts header values with ``str()`` when it writes them.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(_HIDDEN)

    def __reduce__(self) -> NoReturn:
        msg = "A hidden credential cannot be pickled"
        raise TypeError(msg)


class Credentials:
    """Username and API key, with the ``Authorization`` header built from them.

    Only the header value is stored, never the key on its own. ``repr`` and
    ``str`` show the username only. Pickling raises, because a pickle would
    carry the key to wherever it is stored.
    """

    __slots__ = ("_authorization", "username")

    def __init__(self, username: str, api_key: str) -> None:
        token = base64.b64encode(f"{username}:{api_key}".encode()).decode("ascii")
        self.username = username
        self._authorization = HiddenValue(f"Basic {token}")

    @property
    def authorization(self) -> HiddenValue:
        """Value of the ``Authorization`` header."""
        return self._authorization

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, api_key={_HIDDEN})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        msg = "Credentials cannot be pickled, since the pickle would contain the key"
        raise TypeError(msg)
