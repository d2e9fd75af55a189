"""Fill the database with demo data for every module: `python manage.py seed_demo`.

Each of our apps may have a ``demo`` module with ``ORDER`` and ``seed(stdout=…)``, which returns
demo logins to print. Running it again updates what is there and creates no duplicates.
The apps are found through the app registry, so the site does not import feature apps here.
"""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand

OUR_APPS = ["core", "accounts", "portal", "households", "events", "volunteers", "pledges",
            "liaison", "reports"]  # fmt: skip


def demo_modules():
    found = []
    for config in apps.get_app_configs():
        if config.name not in OUR_APPS:
            continue
        try:
            module = import_module(f"{config.name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.demo":
                raise
            continue
        found.append(module)
    return sorted(found, key=lambda module: module.ORDER)


class Command(BaseCommand):
    help = "Create or refresh demo data and demo logins for every persona."

    def add_arguments(self, parser):
        parser.add_argument(
            "--households",
            type=int,
            default=1300,
            help="size of the demo register (tests use a small one)",
        )

    def handle(self, *args, **options):
        logins: list[tuple[str, str, str]] = []
        for module in demo_modules():
            logins += module.seed(stdout=self.stdout, options=options) or []
        url = settings.WAGTAILADMIN_BASE_URL
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(f"侨心 is ready at {url}/  (staff admin: {url}/admin/)")
        )
        if logins:
            self.stdout.write("Demo logins (phone number + password):")
            width = max(len(role) for role, _, _ in logins)
            for role, login, password in logins:
                self.stdout.write(f"  {role:<{width}}  {login:<14} {password}")
