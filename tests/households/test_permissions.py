"""Who may open which register screen: every register URL × every persona.

The world is the "two communities" world of conftest.py. Outcomes, as Wagtail gives them:

- ``LOGIN``: anonymous users, and signed-in users without ``wagtailadmin.access_admin``
  (relative, volunteer, outsider), are redirected to the admin's login gate with ``?next=``
  (``/admin/login/``: allauth's login for the anonymous, the 403 page for the signed-in, see
  tests/accounts/test_one_way_in.py);
- ``DENIED``: a user with admin access but without the model permission gets Wagtail's
  "permission denied" answer, a redirect to the dashboard (``/admin/``) with an error message.
  Wagtail turns every ``PermissionDenied`` raised inside an admin view into that redirect, so
  the register never answers 403 in a browser;
- ``NOT_FOUND``: an object outside the user's scope answers 404, as if it did not exist;
- ``UNMASKED``: the unmask POST redirects to the member's household page.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import get_resolver, reverse

from households.models import AccessLog

from .conftest import HOUSEHOLDER, SCOPE

pytestmark = pytest.mark.django_db

OK, DENIED, NOT_FOUND, UNMASKED = "ok", "denied", "not found", "unmasked"

#: Personas with admin access, in the order of ``Case.expect``.
ADMIN_PERSONAS = ("group_leader", "cadre", "committee_member", "staff", "admin")
#: Personas that must not get any register page.
NO_ADMIN_PERSONAS = ("anonymous", "relative", "volunteer", "outsider")

EVERYONE = (OK, OK, OK, OK, OK)
STAFF = (DENIED, DENIED, DENIED, OK, OK)  # staff and superusers
SUPERUSER = (DENIED, DENIED, DENIED, DENIED, OK)  # staff may not delete
COMMUNITY_B = (NOT_FOUND, NOT_FOUND, NOT_FOUND, OK, OK)  # scoped objects in community B
# Wagtail's history, usage and delete screens load the object before checking permissions:
# an object outside the user's scope answers 404 there (and its history is never read)
OUT_OF_SCOPE_DELETE = (NOT_FOUND, NOT_FOUND, NOT_FOUND, DENIED, OK)

NAMESPACES = (
    "households_household",
    "households_member",
    "households_community",
    "households_gridgroup",
    "households_responsibility",
    "households_accesslog",
)


@dataclass(frozen=True)
class Case:
    url_name: str
    expect: tuple[str, str, str, str, str]  # group_leader, cadre, committee_member, staff, admin
    target: str = ""  # World attribute holding the object of the URL
    query: str = ""
    method: str = "get"

    def __str__(self) -> str:
        target = f"[{self.target}]" if self.target else ""
        return f"{self.method.upper()} {self.url_name}{target}{self.query}"

    def path(self, world) -> str:
        args = [getattr(world, self.target).pk] if self.target else []
        return reverse(self.url_name, args=args) + self.query


def _object_views(
    namespace: str, target: str, *, edit, delete, history, out_of_scope: bool = False
) -> list[Case]:
    if out_of_scope:
        delete, history = OUT_OF_SCOPE_DELETE, COMMUNITY_B
    return [
        Case(f"{namespace}:edit", edit, target),
        Case(f"{namespace}:delete", delete, target),
        Case(f"{namespace}:history", history, target),
        Case(f"{namespace}:history_results", history, target),
        Case(f"{namespace}:usage", history, target),
    ]


def _list_views(namespace: str, expect, *, exports: bool = False) -> list[Case]:
    cases = [Case(f"{namespace}:index", expect), Case(f"{namespace}:index_results", expect)]
    if exports:
        cases += [
            Case(f"{namespace}:index", expect, query="?export=csv"),
            Case(f"{namespace}:index", expect, query="?export=xlsx"),
        ]
    return cases


CASES = [
    # households
    *_list_views("households_household", EVERYONE, exports=True),
    Case("households_household:add", STAFF),
    Case("households_household:inspect", EVERYONE, "hA1"),
    Case("households_household:inspect", (NOT_FOUND, OK, OK, OK, OK), "hA2"),
    Case("households_household:inspect", COMMUNITY_B, "hB1"),
    *_object_views("households_household", "hA1", edit=STAFF, delete=SUPERUSER, history=STAFF),
    *_object_views(
        "households_household",
        "hB1",
        edit=STAFF,
        delete=SUPERUSER,
        history=STAFF,
        out_of_scope=True,
    ),
    Case("households_household:move", STAFF, "hA1"),
    Case("households_household:move", STAFF, "hB1"),
    Case("households_household:merge", STAFF, "hA1"),
    Case("households_household:merge", STAFF, "hB1"),
    # cadres and group leaders may unmask (households.unmask_member); committee members not
    Case(
        "households_household:unmask",
        (UNMASKED, UNMASKED, DENIED, UNMASKED, UNMASKED),
        "mA1",
        method="post",
    ),
    Case(
        "households_household:unmask",
        (NOT_FOUND, NOT_FOUND, NOT_FOUND, UNMASKED, UNMASKED),
        "mB1",
        method="post",
    ),
    # members
    *_list_views("households_member", EVERYONE, exports=True),
    Case("households_member:add", STAFF),
    *_object_views("households_member", "mA1", edit=STAFF, delete=SUPERUSER, history=STAFF),
    *_object_views(
        "households_member", "mB1", edit=STAFF, delete=SUPERUSER, history=STAFF, out_of_scope=True
    ),
    # communities, grid groups: everyone on the register reads them, staff edit them
    *_list_views("households_community", EVERYONE),
    Case("households_community:add", STAFF),
    *_object_views(
        "households_community",
        "community_b",
        edit=STAFF,
        delete=SUPERUSER,
        history=STAFF,
        out_of_scope=True,
    ),
    *_list_views("households_gridgroup", EVERYONE),
    Case("households_gridgroup:add", STAFF),
    *_object_views(
        "households_gridgroup", "b1", edit=STAFF, delete=SUPERUSER, history=STAFF, out_of_scope=True
    ),
    # responsibilities and the access log: staff only
    *_list_views("households_responsibility", STAFF),
    Case("households_responsibility:add", STAFF),
    # responsibilities are staff's: outside staff they are out of everyone's scope
    *_object_views(
        "households_responsibility",
        "leader_a1",
        edit=STAFF,
        delete=SUPERUSER,
        history=STAFF,
        out_of_scope=True,
    ),
    *_list_views("households_accesslog", STAFF),
]


def _request(client, case: Case, world):
    return getattr(client, case.method)(case.path(world))


def _login_next(response) -> str | None:
    """The ``next`` of a redirect to the login gate, or None if it is not one."""
    if response.status_code != 302:
        return None
    url = urlsplit(response["Location"])
    if url.path not in ("/admin/login/", "/accounts/login/"):
        return None
    return parse_qs(url.query).get("next", [""])[0]


def test_the_matrix_covers_every_register_url():
    resolver = get_resolver()
    registered = {
        f"{namespace}:{pattern.name}"
        for namespace in NAMESPACES
        for pattern in resolver.namespace_dict[namespace][1].url_patterns
    }
    assert registered == {case.url_name for case in CASES}


@pytest.mark.parametrize("persona", NO_ADMIN_PERSONAS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_people_without_admin_access_are_sent_to_login(world, client_for, case, persona):
    path = case.path(world)
    response = _request(client_for(persona), case, world)
    assert response.status_code == 302
    assert _login_next(response) == path
    assert not AccessLog.objects.exists()  # nothing was read


@pytest.mark.parametrize("persona", ADMIN_PERSONAS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_register_url_answers_by_role_and_scope(world, client_for, case, persona):
    expected = case.expect[ADMIN_PERSONAS.index(persona)]
    response = _request(client_for(persona), case, world)
    if expected == OK:
        assert response.status_code == 200
    elif expected == NOT_FOUND:
        assert response.status_code == 404
    elif expected == DENIED:
        assert response.status_code == 302
        assert response["Location"] == reverse("wagtailadmin_home")
    else:
        household_id = getattr(world, case.target).household_id
        assert response.status_code == 302
        assert response["Location"] == reverse("households_household:inspect", args=[household_id])
    if expected in (DENIED, NOT_FOUND):
        # a refused unmask is not logged as one, and shows nothing
        assert not AccessLog.objects.filter(action=AccessLog.Action.UNMASK).exists()


@pytest.mark.parametrize("persona", ADMIN_PERSONAS)
@pytest.mark.parametrize(
    "url_name",
    ["households_household:index", "households_household:index_results", "households_member:index"],
)
def test_list_shows_exactly_the_households_in_scope(world, client_for, url_name, persona):
    # householders are members too, so their names mark the rows of both lists
    html = client_for(persona).get(reverse(url_name)).content.decode()
    shown = {key for key, name in HOUSEHOLDER.items() if name in html}
    assert shown == SCOPE[persona]


@pytest.mark.parametrize("persona", ["group_leader", "cadre", "committee_member"])
def test_filter_choices_offer_only_communities_in_scope(world, client_for, persona):
    html = client_for(persona).get(reverse("households_household:index")).content.decode()
    assert world.community_a.name in html
    assert world.community_b.name not in html
