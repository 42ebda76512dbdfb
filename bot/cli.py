"""`asyncguard serve`: run the GitHub App's webhook server (settings from the environment)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this package's sub-commands; each sets `func=` to a callable(args) -> int exit code."""
    p = subparsers.add_parser(
        "serve",
        help="run the GitHub App webhook server",
        description="Run the asyncguard GitHub App. Settings come from ASYNCGUARD_* environment variables "
        "(and ./.env): ASYNCGUARD_APP_ID, ASYNCGUARD_PRIVATE_KEY or ASYNCGUARD_PRIVATE_KEY_PATH, "
        "ASYNCGUARD_WEBHOOK_SECRET, ASYNCGUARD_GITHUB_API_URL, ASYNCGUARD_HOST, ASYNCGUARD_PORT, "
        "ASYNCGUARD_DATA_DIR.",
    )
    p.add_argument("--host", help="listen address (default: ASYNCGUARD_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, help="listen port (default: ASYNCGUARD_PORT or 8080)")
    p.add_argument("--env-file", type=Path, default=None, help="read settings from this file (default: ./.env)")
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    p.set_defaults(func=serve)


def serve(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from aiohttp import web

    from asyncguard.bot.app import make_app
    from asyncguard.bot.settings import load_settings

    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.env_file is not None and not args.env_file.is_file():
        print(f"asyncguard serve: --env-file {args.env_file}: no such file", file=sys.stderr)
        return 2
    settings, errors = load_settings(dotenv=args.env_file)
    if args.port is not None and not 0 <= args.port <= 65535:
        errors.append(f"--port: expected 0-65535, got {args.port}")
    if errors:
        for line in errors:
            print(f"asyncguard serve: {line}", file=sys.stderr)
        return 2
    if args.host:
        settings = replace(settings, host=args.host)
    if args.port is not None:
        settings = replace(settings, port=args.port)
    try:
        Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
        probe = Path(settings.data_dir) / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        print(f"asyncguard serve: ASYNCGUARD_DATA_DIR {settings.data_dir}: not writable ({exc.strerror or exc})",
              file=sys.stderr)
        return 2
    if not settings.configured:
        print("asyncguard serve: no GitHub App credentials; serving /healthz and /training only. Set:", file=sys.stderr)
        for what in settings.missing():
            print(f"  {what}", file=sys.stderr)
    print(f"asyncguard serve: listening on http://{settings.host}:{settings.port} "
          f"(data in {settings.data_dir})", file=sys.stderr, flush=True)
    _use_uvloop()
    try:
        web.run_app(make_app(settings), host=settings.host, port=settings.port, print=None,
                    access_log=None, handle_signals=True, backlog=1024)
    except OSError as exc:
        print(f"asyncguard serve: cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


def _use_uvloop() -> None:
    """uvloop makes the webhook ack path markedly faster under bursts; optional."""
    try:
        import asyncio

        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
