"""The register's smallest pieces, which every other module of the app may import: who may see
the whole register or full numbers (permissions only, no scope), and the register's version,
the key cached figures hang on. Imports nothing of the app but nothing at all of its other
modules, so that selectors, access, services and stats can all use it without a circle."""

from __future__ import annotations

from django.core.cache import cache

#: Bumped by every register write: cached figures keyed by it are dropped at once.
REGISTER_VERSION_KEY = "households:register-version"


def user_sees_all_households(user) -> bool:
    return user.is_active and (user.is_superuser or user.has_perm("households.view_all_households"))


def user_may_unmask(user) -> bool:
    return user.is_active and (user.is_superuser or user.has_perm("households.unmask_member"))


def register_version() -> int:
    """The register's version now (``register_changed`` bumps it)."""
    return cache.get_or_set(REGISTER_VERSION_KEY, 1, timeout=None)


def register_changed() -> None:
    """Drop cached register figures (statistics, filter choices). Called by every write on the
    register, after commit."""
    try:
        cache.incr(REGISTER_VERSION_KEY)
    except ValueError:  # not in the cache yet (or the cache is down: nothing to drop)
        cache.set(REGISTER_VERSION_KEY, 2, timeout=None)
