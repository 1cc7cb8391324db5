"""The ``eventyard`` command: a thin layer over the library (``serve``, ``workflow``...)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from eventyard import __version__


def _serve(args: argparse.Namespace) -> int:
    from eventyard.server import ServerOptions, serve

    if args.host not in ("127.0.0.1", "localhost", "::1") and not args.quiet:
        print(f"warning: binding to {args.host}, reachable beyond this machine", file=sys.stderr)
    if args.mock_config:  # Step Functions Local's mock configuration, read by the workflow service
        import os

        from eventyard.workflows.mocks import ENVIRONMENT, MockConfig

        MockConfig.load(args.mock_config)  # refuse a broken file before serving
        os.environ[ENVIRONMENT] = args.mock_config
    serve(
        ServerOptions(
            host=args.host,
            port=args.port,
            data=args.data,
            memory=args.memory,
            virtual_clock=args.virtual_clock,
            app=args.app,
            auth=args.auth,
            log_level=args.log_level,
        )
    )
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="eventyard", description="Event bus, workflows, queues and streams, AWS-compatible."
    )
    top.add_argument("--version", action="version", version=f"eventyard {__version__}")
    commands = top.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the AWS APIs over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    serve.add_argument("--port", type=int, default=4566)
    serve.add_argument("--data", default="./.eventyard/yard.db", help="SQLite path or postgresql:// URL")
    serve.add_argument("--memory", action="store_true", help="keep everything in memory (NOT durable)")
    serve.add_argument("--virtual-clock", action="store_true", help="time moves only via POST /_eventyard/clock")
    serve.add_argument(
        "--app", metavar="MODULE[:OBJECT]", help="application module to import (in-process functions, resources)"
    )
    serve.add_argument("--auth", metavar="FILE", help="JSON map of access keys; requires valid SigV4 signatures")
    serve.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])
    serve.add_argument(
        "--mock-config", metavar="FILE", help="mocked Task responses for test cases (Step Functions Local's format)"
    )
    serve.add_argument("--quiet", action="store_true", help=argparse.SUPPRESS)
    serve.set_defaults(handler=_serve)

    try:
        from eventyard.workflows.cli import add_commands
    except ImportError:
        pass
    else:
        add_commands(commands)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    top = parser()
    args = top.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        top.print_help()
        return 2
    result: int = handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
