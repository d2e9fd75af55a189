"""Uploaded registers leave the public media root.

Until now they were saved under MEDIA_ROOT/imports/, which anyone could download under
``make run`` (and in production wherever the web server serves /media/). Files of batches
still in progress move to the private storage under the same name; files of finished imports
are deleted (they are no longer needed); whatever else is left under imports/ in the public
storage (files of failed uploads, which were never cleaned up) is deleted too.
Irreversible on purpose: nothing is moved back into public view.
"""

from django.core.files.storage import default_storage
from django.db import migrations

from core.storage import private_storage

FINISHED = ("done", "abandoned")


def _walk(storage, folder):
    try:
        folders, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _walk(storage, f"{folder}/{sub}")


def move_files(apps, schema_editor):
    ImportBatch = apps.get_model("households", "ImportBatch")
    private = private_storage()
    for batch in ImportBatch.objects.exclude(file=""):
        name = batch.file.name
        if batch.status not in FINISHED and default_storage.exists(name):
            if not private.exists(name):
                with default_storage.open(name, "rb") as handle:
                    saved = private.save(name, handle)
                if saved != name:
                    ImportBatch.objects.filter(pk=batch.pk).update(file=saved)
        else:
            ImportBatch.objects.filter(pk=batch.pk).update(file="")
    for name in list(_walk(default_storage, "imports")):
        default_storage.delete(name)


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0006_import_batch_private_file"),
    ]

    operations = [migrations.RunPython(move_files, migrations.RunPython.noop)]
