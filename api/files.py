"""Kept files as HTTP responses, for the JSON API's routes and the pages alike."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Response

from services.evidence import EvidenceContent


def file_response(kept: EvidenceContent, *, inline: bool = True) -> Response:
    """A kept file: shown in the browser (a photo, a PDF) unless `inline` is False, under
    its name as handed in, never sniffed as another type; cached privately for a year,
    since its URL names its hash and so is always the same file."""
    how = "inline" if inline else "attachment"
    return Response(
        content=kept.content,
        media_type=kept.media_type,
        headers={
            "Content-Disposition": f"{how}; filename*=UTF-8''{quote(kept.file_name)}",
            "Cache-Control": "private, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )
