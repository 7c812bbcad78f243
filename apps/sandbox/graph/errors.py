"""Graph's error answers: `{"error": {"code", "message", "innerError": {…}}}`."""

from __future__ import annotations

import uuid

from django.utils import timezone


class GraphError(Exception):
    """A Graph error answer: status, Graph's `code` and message, extra headers."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_body(code: str, message: str, request_id: str | None = None) -> dict:
    request_id = request_id or str(uuid.uuid4())
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": timezone.now().strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": request_id,
                "client-request-id": request_id,
            },
        }
    }
