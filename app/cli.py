"""Command-line interface: ``lstm-lens <command> [options]``.

Each subcommand registers itself in :func:`build_parser` with a handler taking
the parsed arguments and returning an exit code; add new ones (e.g. ``train``)
the same way.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence

from app import __version__, train_command
from app.config import HOST_ENV, PORT_ENV, Settings, parse_port

Handler = Callable[[argparse.Namespace], int]


def _port(value: str) -> int:
    try:
        return parse_port(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with all subcommands."""
    parser = argparse.ArgumentParser(
        prog="lstm-lens", description="LSTM Lens: look inside LSTM networks."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="<command>")

    serve = subparsers.add_parser("serve", help="run the web server")
    serve.add_argument(
        "--host", default=None, help=f"interface to bind (default: ${HOST_ENV} or 127.0.0.1)"
    )
    serve.add_argument(
        "--port", type=_port, default=None, help=f"port to bind (default: ${PORT_ENV} or 8000)"
    )
    serve.set_defaults(handler=_cmd_serve)
    train_command.add_commands(subparsers)

    return parser


def settings_from_args(
    args: argparse.Namespace, environ: Mapping[str, str] | None = None
) -> Settings:
    """Combine command-line options with environment defaults."""
    env = Settings.from_env(environ)
    return Settings(
        host=args.host if args.host is not None else env.host,
        port=args.port if args.port is not None else env.port,
    )


def run_server(settings: Settings) -> None:
    """Serve ``app.main:app`` with uvicorn (blocks until stopped)."""
    import uvicorn

    uvicorn.run("app.main:app", host=settings.host, port=settings.port)


def _cmd_serve(args: argparse.Namespace) -> int:
    run_server(settings_from_args(args))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lstm-lens`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return handler(args)
    except ValueError as exc:  # e.g. an invalid $PORT
        parser.exit(2, f"{parser.prog}: error: {exc}\n")


if __name__ == "__main__":
    raise SystemExit(main())
