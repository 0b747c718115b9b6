"""The FastAPI application factory: routes, the error map and the runtime they share."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

from api.errors import PROBLEM_RESPONSES, install_error_handlers
from api.headers import SecurityHeaders
from api.limits import BodyLimit
from api.pages import router as pages_router
from api.pages.base import PageAnswer, answer_page
from api.pages.commitment import router as commitment_page_router
from api.pages.cycles import router as cycle_pages_router
from api.pages.document import router as document_router
from api.pages.evidence import router as evidence_page_router
from api.pages.joint import router as joint_router
from api.pages.manager import router as manager_router
from api.pages.offices import router as offices_router
from api.pages.password import router as password_router
from api.pages.people import router as people_router
from api.pages.recap import router as recap_router
from api.pages.signing import router as signing_page_router
from api.pages.verify import router as verify_router
from api.routes import auth, commitments, cycles, evidence, exports, health, me, overdue, recap
from services.runtime import ClientFactory, Runtime
from services.settings import Settings, get_settings

GC_THRESHOLDS = (20_000, 20, 20)
"""Allocations before a young collection, and collections before each older one."""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Whatever is alive once the app starts serving (modules, routes, templates) lives as
    # long as the process. Frozen, it is no longer scanned by every full garbage
    # collection, each of which would otherwise stall a request for tens of milliseconds.
    gc.collect()
    gc.freeze()
    # A request allocates thousands of objects, nearly all freed by reference counting, and
    # with the default thresholds (700, 10, 10) each request set off several young
    # collections and, with so little left unfrozen, frequent full ones: about a tenth
    # of the API's CPU per request (bench.api_load). Collecting less often frees the
    # same garbage; what waits for it is a few megabytes at most.
    gc.set_threshold(*GC_THRESHOLDS)
    yield
    # Certified signatures still waiting for BSrE stay recorded, waiting for a passphrase.
    runtime: Runtime = app.state.runtime
    if runtime.retries is not None:
        await runtime.retries.close()


def create_app(
    settings: Settings | None = None, client_factory: ClientFactory | None = None
) -> FastAPI:
    """Build the app for the given settings; Temporal is connected on first use."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Komitmen",
        version="0.1.0",
        description="Disaster-management action-plan commitments of the regencies of NTT.",
        lifespan=_lifespan,
    )
    app.state.runtime = Runtime.of(settings, client_factory)
    install_error_handlers(app)
    app.add_exception_handler(PageAnswer, answer_page)
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        upload_max_bytes=max(settings.max_scan_bytes, settings.evidence_max_file_bytes),
    )
    # Outermost, so a refused body's 413 carries the headers too.
    app.add_middleware(SecurityHeaders)
    # Pages and JSON shrink to a fifth over gzip: what a phone on a slow link waits for.
    # Level 6, zlib's default: within 1 % of level 9's size on a page, at two thirds of its CPU.
    app.add_middleware(GZipMiddleware, minimum_size=500, compresslevel=6)
    app.include_router(health.router)
    # Before the JSON routes, whose GET /cycles/{cycle_id} would take GET /cycles/new.
    app.include_router(cycle_pages_router)

    for module in (auth, me, cycles, commitments, evidence, overdue, exports, recap):
        app.include_router(module.router, responses=PROBLEM_RESPONSES)
    app.include_router(pages_router)
    # Before the commitment page's routes, whose /page/{action} would take /page/sign-wet.
    app.include_router(signing_page_router)
    app.include_router(evidence_page_router)
    app.include_router(commitment_page_router)
    app.include_router(document_router)
    app.include_router(joint_router)
    app.include_router(manager_router)
    app.include_router(recap_router)
    app.include_router(offices_router)
    app.include_router(verify_router)
    app.include_router(people_router)
    app.include_router(password_router)
    return app
