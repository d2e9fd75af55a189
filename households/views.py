"""Public-site views of the register: a relative sees their own household."""

from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse

from . import selectors, services
from .models import AccessLog


@login_required
def my_household(request):
    household = selectors.household_own_for(request.user)
    members = list(household.members.filter(is_deceased=False).order_by("id")) if household else []
    if household:
        services.access_log_record(
            user=request.user,
            action=AccessLog.Action.DETAIL,
            object_type="household",
            object_id=household.pk,
            row_count=len(members),
        )
    return TemplateResponse(
        request,
        "households/my_household.html",
        {
            "household": household,
            "members": members,
            "responsibles": selectors.household_responsibles(household) if household else [],
        },
    )
