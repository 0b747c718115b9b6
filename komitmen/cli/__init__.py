"""The `komitmen` command line: run the stack, manage people and cycles, act on commitments.

Output is plain aligned text: stage labels in Bahasa Indonesia, times in WITA.
A user's mistake (a refused action, invalid input, an unknown user, regency or
cycle) prints one clear message to stderr and exits with status 2; an unreachable
Temporal or database exits with status 1. Never a traceback for either.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from temporalio.service import RPCError, RPCStatusCode

from domain.errors import InvalidInput, UnknownRegency
from komitmen.cli.context import Unavailable, UsageError
from komitmen.cli.output import complain, field_errors
from komitmen.cli.parser import Handler, build_parser
from komitmen.devserver import DevServerError
from services.errors import Refusal
from services.settings import get_settings


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit status; as a program (no argv), exit hard.

    Temporal's client keeps native threads that can abort CPython's shutdown
    ("PyGILState_Release ... must be current", temporalio/sdk-python#300), which
    would turn a finished command into a crash. Run as a program, Komitmen flushes
    its output and leaves with os._exit instead; called with argv it just returns.
    """
    status = run_command(argv)
    if argv is None:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status


def run_command(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status."""
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
        handler: Handler = args.handler
        return handler(args, settings)
    except Refusal as refused:
        complain(f"refused: {refused.detail}")
    except ValidationError as invalid:
        for line in field_errors(invalid):
            complain(line)
    except InvalidInput as invalid:
        for problem in invalid.errors:
            complain(f"{problem.field}: {problem.message}")
    except (UsageError, UnknownRegency) as mistake:
        complain(str(mistake))
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            complain(
                f"not found in Temporal: {error.message} "
                "(the workflow has ended, or it runs on another cluster)"
            )
            return 2
        complain(f"temporal: {error.message}")
        return 1
    except (Unavailable, DevServerError) as error:
        complain(str(error))
        return 1
    except SQLAlchemyError as error:
        cause = str(getattr(error, "orig", None) or error).splitlines()[0]
        complain(f"database error: {cause}")
        if "no such table" in cause or "does not exist" in cause:
            complain("the database has no tables yet: run `komitmen migrate`")
        return 1
    except KeyboardInterrupt:
        return 130
    return 2
