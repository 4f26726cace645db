"""The ``influenceplanner`` command group and its handling of failures."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

from influenceplanner_async import InfluencePlannerError, __version__

from ._demo import demo
from ._errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    describe_error,
    one_line,
)
from ._fake import fake_server
from ._members import members
from ._schedule import schedule

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["InfluencePlannerGroup", "cli", "main"]

LIBRARY_LOGGER = "influenceplanner_async"


class InfluencePlannerGroup(click.Group):
    """A click group that reports every expected failure in one line.

    Click prints usage errors over several lines and leaves library
    exceptions as tracebacks. This group prints ``Error: ...`` on stderr
    instead and exits with 2 for usage errors, 1 for API and network
    failures and 130 for Ctrl-C.
    """

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command; with ``standalone_mode`` exit when it ends."""
        extra["windows_expand_args"] = windows_expand_args
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as error:
            _exit_with(_usage_message(error), EXIT_USAGE)
        except click.ClickException as error:
            _exit_with(error.format_message(), error.exit_code)
        except InfluencePlannerError as error:
            failure = describe_error(error)
            _exit_with(failure.message, failure.exit_code)
        except OSError as error:
            # A file named on the command line that cannot be opened or written,
            # such as an output path in a folder that does not exist.
            where = f" {error.filename}" if error.filename else ""
            reason = error.strerror or str(error)
            _exit_with(f"Cannot use{where}: {reason}.", EXIT_USAGE)
        except (click.Abort, KeyboardInterrupt):
            _exit_with("Interrupted.", EXIT_INTERRUPTED)
        # Without standalone mode click returns an int only for an explicit
        # exit, such as after --help; the commands themselves return None.
        sys.exit(result if isinstance(result, int) else 0)


def _usage_message(error: click.UsageError) -> str:
    message = error.format_message()
    if error.ctx is None:
        return message
    return f"{message} Try '{error.ctx.command_path} --help' for help."


def _exit_with(message: str, exit_code: int) -> NoReturn:
    click.echo(f"Error: {one_line(message)}", err=True)
    sys.exit(exit_code)


@click.group(cls=InfluencePlannerGroup)
@click.version_option(__version__, prog_name="influenceplanner")
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="Log to stderr: -v shows waits on the rate limit and retries, -vv "
    "every request.",
)
@click.pass_context
def cli(context: click.Context, verbose: int) -> None:
    """Work with the InfluencePlanner Partner API from the shell.

    The members and schedule commands read INFLUENCEPLANNER_USERNAME,
    INFLUENCEPLANNER_API_KEY and, optionally, INFLUENCEPLANNER_BASE_URL. Run
    "influenceplanner demo" to see the client at work against a local fake API
    without any credentials.
    """

    _route_library_logs(context, verbose)


def _route_library_logs(context: click.Context, verbosity: int) -> None:
    # Without a handler, Python's last-resort handler would print the
    # library's warnings (retries) on stderr, next to the one error line.
    logger = logging.getLogger(LIBRARY_LOGGER)
    handler: logging.Handler
    if verbosity:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    else:
        handler = logging.NullHandler()
    previous_level = logger.level
    logger.addHandler(handler)
    if verbosity:
        logger.setLevel(logging.DEBUG if verbosity > 1 else logging.INFO)

    def restore() -> None:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)

    context.call_on_close(restore)


cli.add_command(demo)
cli.add_command(members)
cli.add_command(schedule)
cli.add_command(fake_server)


def main(args: Sequence[str] | None = None, prog_name: str | None = None) -> NoReturn:
    """Run ``influenceplanner`` with ``args`` (default ``sys.argv[1:]``) and exit."""
    cli.main(args, prog_name=prog_name or "influenceplanner")
    # cli.main exits in standalone mode; this line only satisfies NoReturn.
    sys.exit(EXIT_FAILURE)
