"""Development: `make run`. DEBUG on unless the environment says otherwise."""

from core import env

from .base import *  # noqa: F403

DEBUG = env.boolean("DEBUG", True)
