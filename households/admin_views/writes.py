"""The register's create, edit and delete screens in the Wagtail admin: the form only parses,
the model's service writes (scope, permission, rules, history, fresh figures), Wagtail's own
log entry is written alongside, and a refusal comes back on the form with what was typed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Model
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from wagtail.admin.views.generic import (
    CreateView,
    DeleteView,
    EditView,
)
from wagtail.log_actions import log

from core.locking import LockBusy

from .. import access, selectors, services
from ..models import AccessLog
from .objects import ScopedObjectMixin, ScopedSingleObjectMixin


@dataclass(frozen=True)
class Writes:
    """How one register model's admin screens call its services. Each takes the acting user
    and the parsed form (or the object), and returns what the service returns."""

    create: Callable[..., Model]  # (actor=, fields=)
    update: Callable[..., Model]  # (actor=, pk=, changes=)
    delete: Callable[..., None]  # (actor=, pk=)


def form_fields(form) -> dict[str, Any]:
    """Every field of a valid form, for a create service."""
    return {name: form.cleaned_data[name] for name in form.fields if name in form.cleaned_data}


def form_changes(form) -> dict[str, Any]:
    """The fields the person changed, for an update service (which compares again: a number
    typed differently but equal once normalised is no change)."""
    return {
        name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data
    }


#: What a service refuses with: the person's form comes back filled in, with the reason.
REFUSALS = (services.RegisterError, ValidationError, LockBusy)


def refusal_to_form(form, refusal: Exception) -> None:
    """Put a service's refusal on the form, on its field where it names one."""
    if isinstance(refusal, ValidationError) and hasattr(refusal, "error_dict"):
        for field, errors in refusal.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return
    field = getattr(refusal, "field", None)
    message = refusal if isinstance(refusal, ValidationError) else str(refusal)
    form.add_error(field if field in form.fields else None, message)


class ServiceFormMixin:
    """Create and edit screens whose form only parses: ``save_instance`` calls the model's
    service (``writes``, set by the viewset) and writes Wagtail's own log entry in the same
    transaction; a refusal comes back as a form error, with everything typed kept."""

    writes: Writes | None = None
    log_action = ""

    def write(self):
        raise NotImplementedError

    def save_instance(self):
        instance = self.write()
        log(
            instance=instance,
            action=self.log_action,
            user=self.request.user,
            content_changed=self.form.has_changed(),
        )
        return instance

    def form_valid(self, form):
        try:
            return super().form_valid(form)  # runs save_instance inside transaction.atomic
        except ObjectDoesNotExist:
            raise Http404 from None  # left the scope meanwhile: as if it did not exist
        except REFUSALS as refusal:
            refusal_to_form(form, refusal)
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class RegisterCreateView(ServiceFormMixin, CreateView):
    log_action = "wagtail.create"

    def write(self):
        return self.writes.create(actor=self.request.user, fields=form_fields(self.form))


class RegisterEditView(ScopedSingleObjectMixin, ServiceFormMixin, EditView):
    log_action = "wagtail.edit"

    def write(self):
        return self.writes.update(
            actor=self.request.user, pk=self.object.pk, changes=form_changes(self.form)
        )


class RegisterDeleteView(ScopedSingleObjectMixin, DeleteView):
    """Deletes through the model's service; a refusal (people still in a household, records
    that point at it) is said on the confirmation page."""

    writes: Writes | None = None

    def delete_action(self):
        with transaction.atomic():
            # Wagtail logs before deleting, while the object still exists
            log(
                instance=self.object,
                action="wagtail.delete",
                user=self.request.user,
                deleted=True,
            )
            self.writes.delete(actor=self.request.user, pk=self.object.pk)

    def form_valid(self, form):
        # Wagtail's own form_valid answers "permission denied" when its reference index knows
        # of protected references; the service says what still points at the object instead.
        success_url = self.get_success_url()
        try:
            self.delete_action()
        except ObjectDoesNotExist:
            raise Http404 from None
        except REFUSALS as refusal:
            messages.error(self.request, " ".join(_refusal_messages(refusal)))
            return redirect(self.request.get_full_path())
        messages.success(self.request, self.get_success_message())
        hook_response = self.run_after_hook()
        if hook_response is not None:
            return hook_response
        return redirect(success_url)


def _refusal_messages(refusal: Exception) -> list[str]:
    if isinstance(refusal, ValidationError):
        return refusal.messages
    return [str(refusal)]


class HouseholdEditView(access.RevealsMixin, ScopedObjectMixin, RegisterEditView):
    # the form holds the full home phone
    reveal_action = AccessLog.Action.EDIT
    reveal_object_type = "household"


class MemberEditView(access.RevealsMixin, RegisterEditView):
    # the form holds the full mobile and ID number
    reveal_action = AccessLog.Action.EDIT
    reveal_object_type = "member"

    def get_object(self, queryset=None):
        queryset = selectors.member_scope_for(self.request.user)
        return get_object_or_404(queryset, pk=self.kwargs[self.pk_url_kwarg])
