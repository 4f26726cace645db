"""Run the ``influenceplanner`` command as ``python -m influenceplanner_async.cli``."""

from ._main import main

main(prog_name="influenceplanner")
