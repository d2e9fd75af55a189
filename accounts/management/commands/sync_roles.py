from django.core.management.base import BaseCommand

from accounts.services import roles_sync


class Command(BaseCommand):
    help = "Create the role groups (staff, cadre, group leader, …) and their permissions."

    def handle(self, *args, **options):
        groups = roles_sync()
        self.stdout.write(f"{len(groups)} role groups in place.")
