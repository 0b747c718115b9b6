"""Running Komitmen: `up`, `worker`, `api` and `migrate`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Iterator
from datetime import datetime

import uvicorn
import uvloop
from temporalio.client import Client
from temporalio.service import RPCError

from domain.calendar import WITA
from domain.catalog import load_catalog
from komitmen.cli.context import UsageError, client_for, database
from komitmen.cli.output import safe_url, say
from komitmen.devserver import DevServer
from komitmen.protocol import with_header_timeout
from services.database import migrate
from services.people import list_people
from services.settings import Settings
from services.signin import hash_password
from services.temporal import register_search_attributes, serve_metrics


def configure_logging() -> None:
    """INFO logs for long-running commands; migrations stay quiet."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


def stop_event() -> asyncio.Event:
    """An event set by Ctrl-C or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


async def run_worker(client: Client, settings: Settings, stop: asyncio.Event) -> None:
    """Run Komitmen's worker until `stop` is set; a failing worker ends the command."""
    from komitmen.worker import build_worker  # imports every workflow and activity

    worker = build_worker(client, settings)
    running = asyncio.create_task(worker.run())
    stopping = asyncio.create_task(stop.wait())
    say(
        f"worker running on task queue {settings.temporal_task_queue!r} "
        f"(namespace {settings.temporal_namespace!r}); Ctrl-C stops it"
    )
    done, _ = await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if running in done:
        stopping.cancel()
        running.result()
        return
    say("stopping the worker ...")
    await worker.shutdown()
    await running


class _ApiServer(uvicorn.Server):
    """Uvicorn without its own signal handling: the command's stop event ends it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def api_config(settings: Settings) -> uvicorn.Config:
    """How uvicorn serves the API, all of it from the settings.

    Only the proxies named in KOMITMEN_FORWARDED_ALLOW_IPS are believed about the
    client's address (uvicorn takes the right-most X-Forwarded-For entry that is not
    one of them, so an address a client forged on the left is never taken); never
    uvicorn's own FORWARDED_ALLOW_IPS variable. Connections are bounded: idle ones
    close after the keep-alive timeout, slow headers after the header timeout
    (`komitmen.protocol`), and beyond KOMITMEN_LIMIT_CONCURRENCY requests are
    answered 503 at once.
    """
    from api.app import create_app  # the API is only imported by commands that serve it

    return uvicorn.Config(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_level="warning",
        http=with_header_timeout(settings.header_timeout_seconds),
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_keep_alive=settings.keep_alive_seconds,
        limit_concurrency=settings.limit_concurrency,
    )


async def run_api(settings: Settings, stop: asyncio.Event) -> None:
    """Serve the HTTP API until `stop` is set."""
    server = _ApiServer(api_config(settings))
    serving = asyncio.create_task(server.serve())
    say(f"API:        http://{settings.api_host}:{settings.api_port}/docs")
    await stop.wait()
    server.should_exit = True
    await serving


async def run_worker_and_api(client: Client, settings: Settings, stop: asyncio.Event) -> None:
    """Run the worker and the API side by side; either failing stops both."""
    tasks = [
        asyncio.create_task(run_worker(client, settings, stop)),
        asyncio.create_task(run_api(settings, stop)),
    ]
    try:
        await asyncio.gather(*tasks)
    finally:
        stop.set()


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    """Apply the database migrations."""
    migrate(settings)
    say(f"database up to date: {safe_url(settings.db_url)}")
    return 0


def demo_refusal(settings: Settings) -> str | None:
    """Why `komitmen up` adds no demo people to this database; None when it does.

    The demo people all share a password printed in the README, so they go only into
    the embedded SQLite database of a development run (KOMITMEN_DATABASE_URL unset),
    never into a database configured by hand, which may well be a real one.
    """
    if not settings.database_url:
        return None
    return (
        "demo users: none added: KOMITMEN_DATABASE_URL is set, and demo people (whose "
        "password is public) go only into the embedded SQLite database"
    )


def prepare_database(settings: Settings) -> None:
    """Migrate the database and, on the embedded one only, seed the demo people; say so."""
    from komitmen.demo import DEMO_PASSWORD, seed_demo_users

    migrate(settings)
    say(f"database:   {safe_url(settings.db_url)} (migrated)")
    refusal = demo_refusal(settings)
    if refusal is not None:
        say(refusal)
        return
    with database(settings) as session:
        added = seed_demo_users(session, load_catalog(), hash_password(DEMO_PASSWORD))
        total = len(list_people(session))
    say(f"demo users: {added} added, {total} in all; `komitmen users` lists them")
    if added:
        say(f"            they sign in with the password {DEMO_PASSWORD!r} (e.g. koordinator)")


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    """Run everything on embedded defaults: database, demo people, dev server, worker, API."""
    configure_logging()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    prepare_database(settings)
    if settings.smtp_host:
        say(f"mail:       SMTP {settings.smtp_host}:{settings.smtp_port}")
    else:
        say(f"mail:       written as .eml files to {settings.outbox}")

    async def serve() -> None:
        stop = stop_event()
        if args.no_server:
            client = await client_for(settings)
            try:
                await register_search_attributes(client, settings.temporal_namespace)
            except RPCError as error:
                say(f"note: search attributes not registered ({error.message})")
            say(f"temporal:   {settings.temporal_address} (existing cluster)")
            example()
            await run_worker_and_api(client, settings, stop)
            return
        async with DevServer(settings) as server:
            how = "already running, reused" if server.reused else f"state in {server.db_file}"
            say(f"temporal:   {settings.temporal_address} (dev server, {how})")
            say(f"Temporal UI: {server.ui_url}")
            example()
            if not stop.is_set():
                await run_worker_and_api(server.client, settings, stop)

    asyncio.run(serve())
    say("stopped")
    return 0


def example() -> None:
    """Print a command to try next."""
    year = datetime.now(WITA).year + 1
    say(
        "next, in another terminal:\n"
        f'  komitmen cycle start rakor-{year} --name "Rakor PB NTT {year - 1}" '
        f"--year {year} --as koordinator\n"
        f"  komitmen cycle show rakor-{year}"
    )


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    """Run only the worker against the configured cluster and database."""
    from komitmen.worker import SWITCH_INTERVAL_SECONDS

    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    configure_logging()
    if settings.worker_metrics_address:
        try:
            serve_metrics(settings.worker_metrics_address)
        except ValueError as error:
            raise UsageError(f"KOMITMEN_WORKER_METRICS_ADDRESS: {error}") from None
    migrate(settings)
    say(f"database: {safe_url(settings.db_url)} (migrated)")
    say(f"temporal: {settings.temporal_address}")
    if settings.worker_metrics_address:
        say(f"metrics:  http://{settings.worker_metrics_address}/metrics")

    async def serve() -> None:
        stop = stop_event()
        client = await client_for(settings)
        await run_worker(client, settings, stop)

    asyncio.run(serve())
    say("stopped")
    return 0


def cmd_api(args: argparse.Namespace, settings: Settings) -> int:
    """Serve only the HTTP API against the configured cluster and database."""
    configure_logging()
    migrate(settings)

    async def serve() -> None:
        await run_api(settings, stop_event())

    # uvloop's event loop (libuv, in C) schedules callbacks, wakes from the thread pool
    # and writes to sockets for a fraction of the CPU of asyncio's own, which a request
    # pays several times over (`bench.api_load`, issue 17).
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(serve())
    say("stopped")
    return 0
