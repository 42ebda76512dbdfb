"""`asyncguard serve`: run the GitHub App's webhook server (settings from the environment)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from asyncguard.bot.settings import BotSettings


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
    p.add_argument("--web-only", action="store_true",
                   help="the stateless web role: verify, de-duplicate, enqueue, acknowledge; run `asyncguard worker` "
                   "processes for the jobs (needs a shared database: ASYNCGUARD_DATABASE_URL)")
    p.set_defaults(func=serve)

    w = subparsers.add_parser(
        "worker", help="run the job workers (PR runs, governance) against the shared database",
        description="Claims jobs from the store (ASYNCGUARD_DATABASE_URL) with a lease; run as many replicas as "
        "wanted. Serves /healthz, /readyz and /metrics on --port (default 8081).",
    )
    w.add_argument("--host", default=None, help="health/metrics listen address (default: ASYNCGUARD_HOST or 127.0.0.1)")
    w.add_argument("--port", type=int, default=8081, help="health/metrics port (default 8081; 0 = none)")
    w.add_argument("--env-file", type=Path, default=None, help="read settings from this file (default: ./.env)")
    w.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    w.set_defaults(func=worker_command)

    j = subparsers.add_parser(
        "jobs", help="the job queue: counts by status and the dead-letter list",
        description="Shows how many jobs are queued, running, done and dead, and the dead ones with their last error.",
    )
    j.add_argument("--status", default="dead", choices=["queued", "running", "done", "dead"],
                   help="which jobs to list (default dead: the dead-letter list)")
    j.add_argument("--limit", type=int, default=50)
    j.add_argument("--env-file", type=Path, default=None, help="read settings from this file (default: ./.env)")
    j.set_defaults(func=jobs_command)

    db = subparsers.add_parser(
        "db", help="the bot's database: apply migrations, show the schema revision",
        description="Migrations also run on start-up; run `asyncguard db upgrade` before rolling out many replicas. "
        "The database is ASYNCGUARD_DATABASE_URL, else SQLite in ASYNCGUARD_DATA_DIR.",
    )
    db.add_argument("action", choices=["upgrade", "status"])
    db.add_argument("--env-file", type=Path, default=None, help="read settings from this file (default: ./.env)")
    db.set_defaults(func=db_command)


def serve(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from aiohttp import web

    from asyncguard.bot import logsafe
    from asyncguard.bot.app import make_app
    from asyncguard.bot.settings import load_settings

    logsafe.configure(args.log_level)
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
        web.run_app(make_app(settings, with_worker=not args.web_only), host=settings.host, port=settings.port, print=None,
                    access_log=None, handle_signals=True, backlog=1024)
    except OSError as exc:
        print(f"asyncguard serve: cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


def _settings_or_exit(env_file: Path | None, name: str) -> BotSettings | int:
    """The settings, or the exit code after saying what is wrong."""
    from asyncguard.bot.settings import load_settings

    if env_file is not None and not env_file.is_file():
        print(f"asyncguard {name}: --env-file {env_file}: no such file", file=sys.stderr)
        return 2
    settings, errors = load_settings(dotenv=env_file)
    if errors:
        for line in errors:
            print(f"asyncguard {name}: {line}", file=sys.stderr)
        return 2
    return settings


def db_command(args: argparse.Namespace) -> int:
    import asyncio

    from asyncguard.bot.storage import Database
    from asyncguard.bot.storage.migrate import current_revision, head_revision

    settings = _settings_or_exit(args.env_file, "db")
    if isinstance(settings, int):
        return settings
    db = Database.for_data_dir(settings.data_dir, settings.database_url)

    async def run() -> int:
        try:
            if args.action == "upgrade":
                applied = await db.upgrade()
                print(f"{db.describe()}: " + (f"applied {', '.join(applied)}" if applied else "up to date")
                      + f" (revision {head_revision()})")
                return 0
            async with db.engine.connect() as conn:
                current = await conn.run_sync(current_revision)
            print(f"{db.describe()}: revision {current or 'none'}, head {head_revision()}")
            return 0 if current == head_revision() else 1
        except Exception as exc:
            print(f"asyncguard db: {db.describe()}: {exc.__class__.__name__}: {exc}", file=sys.stderr)
            return 2
        finally:
            await db.close()

    return asyncio.run(run())


def worker_command(args: argparse.Namespace) -> int:
    """A worker process: the app without the webhook route, so probes and /metrics work the same."""
    from dataclasses import replace

    from aiohttp import web

    from asyncguard.bot.app import make_worker_app

    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = _settings_or_exit(args.env_file, "worker")
    if isinstance(settings, int):
        return settings
    if not settings.configured:
        print("asyncguard worker: no GitHub App credentials. Set:", file=sys.stderr)
        for what in settings.missing():
            print(f"  {what}", file=sys.stderr)
        return 2
    settings = replace(settings, host=args.host or settings.host, port=args.port)
    print(f"asyncguard worker: jobs from {settings.database_url or 'SQLite in ' + str(settings.data_dir)}; "
          f"health on http://{settings.host}:{settings.port}", file=sys.stderr, flush=True)
    _use_uvloop()
    web.run_app(make_worker_app(settings), host=settings.host, port=settings.port, print=None, access_log=None,
                handle_signals=True)
    return 0


def jobs_command(args: argparse.Namespace) -> int:
    import asyncio
    import time

    from asyncguard.bot.storage import Database
    from asyncguard.bot.storage.jobs import JobQueue

    settings = _settings_or_exit(args.env_file, "jobs")
    if isinstance(settings, int):
        return settings
    db = Database.for_data_dir(settings.data_dir, settings.database_url)

    async def run() -> int:
        try:
            queue = JobQueue(db)
            counts = await queue.counts()
            listed = await queue.listing(args.status, args.limit)
        except Exception as exc:
            print(f"asyncguard jobs: {db.describe()}: {exc.__class__.__name__}: {exc}", file=sys.stderr)
            return 2
        finally:
            await db.close()
        print(f"{db.describe()}: " + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("queued", "running", "done", "dead")))
        title = "dead-letter list" if args.status == "dead" else f"{args.status} jobs"
        print(f"{title} ({len(listed)}):")
        for job in listed:
            what = job.payload.get("event") or job.kind
            subject = job.payload.get("repo", "")
            if "number" in job.payload:
                subject += f"#{job.payload['number']}@{str(job.payload.get('head_sha', ''))[:7]}"
            age = time.time() - job.created
            print(f"  #{job.id} {job.kind} {what} {subject} attempts={job.attempts}/{job.max_attempts} "
                  f"age={age:.0f}s delivery={job.delivery_id or '-'}")
            if job.last_error:
                print(f"      last error: {job.last_error.splitlines()[0][:300]}")
        return 0

    return asyncio.run(run())


def _use_uvloop() -> None:
    """uvloop makes the webhook ack path markedly faster under bursts; optional."""
    try:
        import asyncio

        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
