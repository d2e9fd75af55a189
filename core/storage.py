"""Private file storage: files with personal data that no URL serves.

Uploaded registers (names, mobiles, ID numbers of whole communities) must never land under
``MEDIA_ROOT``, which the web server (and ``make run`` through ``static()``) hands out to
anyone who knows the path. They go to the storage named ``"private"`` in ``STORAGES``: by
default a folder on disk outside the media root (``PRIVATE_MEDIA_ROOT``, ``var/private``);
production may swap it for an S3-compatible bucket with private ACLs, since code reaches it
only through Django's storage API. A private file reaches a person only through a view that
checks permission and writes an access-log row.

Model fields use the callable ``private_storage`` (``FileField(storage=private_storage)``):
migrations then name the callable, not a path, and the storage behind it follows
``STORAGES["private"]`` (also when a test overrides it).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

PRIVATE_ALIAS = "private"


class PrivateFileSystemStorage(FileSystemStorage):
    """A folder on disk outside the public media root, without URLs.

    ``base_url=None`` alone would not do: FileSystemStorage then falls back to MEDIA_URL, so
    ``url()`` would name a public address for a private file. Here it refuses instead.
    """

    def __init__(self, location=None, **options):
        location = Path(location or settings.PRIVATE_MEDIA_ROOT).resolve()
        for name in ("MEDIA_ROOT", "STATIC_ROOT"):
            public = getattr(settings, name, None)
            if public and location.is_relative_to(Path(public).resolve()):
                raise ImproperlyConfigured(
                    f"The private storage ({location}) must not be inside {name} ({public}): "
                    "the web server would serve its files to anyone."
                )
        options.setdefault("file_permissions_mode", 0o600)
        options.setdefault("directory_permissions_mode", 0o700)
        super().__init__(location=location, base_url=None, **options)

    def url(self, name):
        raise ValueError("Private files have no URL; serve them through a view that checks.")


class _PrivateStorage(LazyObject):
    """``storages["private"]``, looked up on first use and again after STORAGES changes."""

    def _setup(self):
        self._wrapped = storages[PRIVATE_ALIAS]


private_files = _PrivateStorage()


def private_storage() -> _PrivateStorage:
    """The callable for ``FileField(storage=…)``."""
    return private_files


@receiver(setting_changed)
def _storages_changed(*, setting, **kwargs) -> None:
    if setting in ("STORAGES", "PRIVATE_MEDIA_ROOT", "MEDIA_ROOT"):
        private_files._wrapped = empty
