"""The roles of DOMAIN.md as Django groups. A registered user with no group is a relative."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    VOLUNTEER = "volunteer"
    GROUP_LEADER = "group_leader"
    CADRE = "cadre"
    COMMITTEE_MEMBER = "committee_member"
    STAFF = "staff"


#: Group names as shown in the Wagtail admin; the code names above are what code uses.
GROUP_NAMES: dict[Role, str] = {
    Role.VOLUNTEER: "义工",
    Role.GROUP_LEADER: "侨眷小组长",
    Role.CADRE: "社区侨务干部",
    Role.COMMITTEE_MEMBER: "街道侨联委员",
    Role.STAFF: "侨联工作人员",
}

ROLE_LABELS = {
    "relative": _("侨眷用户"),
    Role.VOLUNTEER: _("义工"),
    Role.GROUP_LEADER: _("侨眷小组长"),
    Role.CADRE: _("社区侨务干部"),
    Role.COMMITTEE_MEMBER: _("街道侨联委员"),
    Role.STAFF: _("侨联工作人员"),
    "admin": _("系统管理员"),
}

#: Model permissions each role's group holds ("app_label.codename").
_REGISTER_READ = [
    "wagtailadmin.access_admin",
    "households.view_household",
    "households.view_member",
    "households.view_community",
    "households.view_gridgroup",
]

GROUP_PERMISSIONS: dict[Role, list[str]] = {
    # Volunteers whose register record is in their scope (volunteers.selectors)
    Role.COMMITTEE_MEMBER: [*_REGISTER_READ, "volunteers.view_volunteer"],
    # Cadres and group leaders phone their households: they may unmask, and each time is logged.
    # They also sign up the people they look after (who often have no account) for events.
    Role.CADRE: [
        *_REGISTER_READ,
        "households.unmask_member",
        "events.signup_register_members",
        "volunteers.view_volunteer",
        "volunteers.add_helprequest",
    ],
    Role.GROUP_LEADER: [
        *_REGISTER_READ,
        "households.unmask_member",
        "events.signup_register_members",
        "volunteers.view_volunteer",
        "volunteers.add_helprequest",
    ],
    Role.STAFF: [
        "wagtailadmin.access_admin",
        "wagtailimages.add_image",
        "wagtailimages.change_image",
        "wagtailimages.choose_image",
        "wagtaildocs.add_document",
        "wagtaildocs.change_document",
        "wagtaildocs.choose_document",
        *_REGISTER_READ[1:],
        "households.view_all_households",
        "households.add_household",
        "households.change_household",
        "households.add_member",
        "households.change_member",
        "households.unmask_member",
        "households.import_register",
        "households.view_accesslog",
        "households.add_community",
        "households.change_community",
        "households.add_gridgroup",
        "households.change_gridgroup",
        "households.view_responsibility",
        "households.add_responsibility",
        "households.change_responsibility",
        "events.view_signup",
        "events.manage_signups",
        "events.check_in",
        "events.signup_register_members",
        # the care volunteer team: review applications, enrol paper ones, the skills list
        "volunteers.view_volunteer",
        "volunteers.view_all_volunteers",
        "volunteers.add_volunteer",
        "volunteers.change_volunteer",
        "volunteers.review_volunteer",
        "volunteers.view_skill_proof",
        "volunteers.view_skill",
        "volunteers.add_skill",
        "volunteers.change_skill",
        "volunteers.delete_skill",
        "volunteers.manage_shifts",
        "volunteers.record_hours",
        "volunteers.issue_certificate",
        "volunteers.add_helprequest",
        "volunteers.manage_helprequest",
        # the outbox: see the notices not delivered yet, and send them again
        "core.view_notice",
        "core.resend_notice",
    ],
}

#: Page permissions on the site's root page, for Wagtail's page tree.
STAFF_PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"]
