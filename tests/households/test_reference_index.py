"""The access log is not in Wagtail's reference index: one row per register read, written on
every list and search, must not also cost an index update (nothing ever looks up usages of a
log row)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import get_resolver
from wagtail.models import ReferenceIndex

from households.models import AccessLog
from households.services import access_log_record


@pytest.fixture(autouse=True)
def _admin_viewsets_registered():
    """Wagtail registers a viewset's model for indexing when the admin URLs load."""
    get_resolver().url_patterns  # noqa: B018


def test_the_access_log_is_not_indexed():
    assert ReferenceIndex.model_is_indexable(AccessLog) is False
    assert not ReferenceIndex.is_indexed(AccessLog)


@pytest.mark.django_db
def test_writing_an_access_log_row_writes_no_reference_index_row(staff):
    log = access_log_record(user=staff, action=AccessLog.Action.LIST, row_count=20)
    content_type = ContentType.objects.get_for_model(AccessLog)
    assert not ReferenceIndex.objects.filter(
        base_content_type=content_type, object_id=str(log.pk)
    ).exists()
    assert not ReferenceIndex.objects.filter(content_type=content_type).exists()
