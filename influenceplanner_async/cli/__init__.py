"""The ``influenceplanner`` command: list members, create schedules, run a demo.

Install the ``cli`` extra (``pip install 'influenceplanner-async[cli]'``) for
click and rich, which only this subpackage imports.
"""

from ._main import cli, main

__all__ = ["cli", "main"]
