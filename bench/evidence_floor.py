"""The floor of bench/evidence.py: an app that reads a multipart file and writes it to disk.

Nothing else: no sign-in, no check, no database, no bound on how many files it reads at
once; it imports FastAPI and uvicorn only, so its memory is the framework's own.

    .venv/bin/python -m bench.evidence_floor PORT FOLDER
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Sequence
from pathlib import Path

import uvicorn
from fastapi import FastAPI, UploadFile


def floor_app(folder: Path) -> FastAPI:
    """POST /upload reads the field `file` in full and writes it into `folder`."""
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/upload", status_code=201)
    async def upload(file: UploadFile) -> dict[str, int]:
        content = await file.read()
        (folder / uuid.uuid4().hex).write_bytes(content)
        return {"size": len(content)}

    return app


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the floor app on 127.0.0.1:PORT, writing into FOLDER, until SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m bench.evidence_floor", description=__doc__)
    parser.add_argument("port", type=int)
    parser.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    args.folder.mkdir(parents=True, exist_ok=True)
    config = uvicorn.Config(
        floor_app(args.folder), host="127.0.0.1", port=args.port, log_level="warning"
    )
    uvicorn.Server(config).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
