"""Refusing an oversized upload while it arrives, not after Django has spooled it to disk.

Django writes every uploaded file to a temporary file as it reads the request body, whatever
its size (DATA_UPLOAD_MAX_MEMORY_SIZE does not count files), so ``upload.size`` is known only
once all of it is on disk. This handler goes first in the request's upload handlers and
stops the upload as soon as the file passes the limit: what was spooled so far is discarded,
the rest of the body is read and dropped, and the view answers with the form and a message.
The reverse proxy should also cap the body (nginx ``client_max_body_size``) a little above
``IMPORT_MAX_UPLOAD_MB``.
"""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, StopUpload


class UploadLimitHandler(FileUploadHandler):
    def __init__(self, request=None, *, max_bytes: int):
        super().__init__(request)
        self.max_bytes = max_bytes
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.max_bytes:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) makes the file


def limit_uploads(request, *, max_bytes: int) -> UploadLimitHandler:
    """Put the limit in front of the request's upload handlers; call before the body is read
    (so the view must be csrf_exempt outside and csrf_protect inside)."""
    handler = UploadLimitHandler(request, max_bytes=max_bytes)
    request.upload_handlers.insert(0, handler)
    return handler
