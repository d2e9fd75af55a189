"""The team's screens: applying and "my volunteering" on the public site, the office's list,
review and paper enrolment in the admin."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from households.models import AccessLog
from tests.factories.volunteers import application
from volunteers.choices import Status, TimeSlot
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db


def _form(world, skills, **extra):
    data = {
        "name": "王秀英",
        f"skill_{skills['repair'].pk}": "experienced",
        "times": [str(TimeSlot.WEEKEND_MORNING), str(TimeSlot.WEEKDAY_EVENING)],
        "communities": [str(world.community_a.pk)],
        "consent_share_contact": "on",
        "motivation": "周末上午有空",
    }
    data.update(extra)
    return data


def test_the_form_is_prefilled_with_the_register_name(client_for, world, skills):
    response = client_for("relative").get(reverse("volunteers:apply"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="王秀英"' in html
    for skill in skills.values():
        assert skill.name in html
    assert "执业证书编号" in html


def test_applying_sends_the_person_to_their_page(client_for, world, skills):
    client = client_for("relative")
    response = client.post(reverse("volunteers:apply"), _form(world, skills), follow=True)
    assert response.redirect_chain[-1][0] == reverse("volunteers:mine")
    html = response.content.decode()
    assert "申请已提交" in html and "待审核" in html
    volunteer = Volunteer.objects.get()
    assert volunteer.times == TimeSlot.WEEKEND_MORNING | TimeSlot.WEEKDAY_EVENING
    assert volunteer.consent_share_contact and volunteer.motivation == "周末上午有空"

    # a second tap on the old form: refused, the person sees their page, nothing new
    again = client.post(reverse("volunteers:apply"), _form(world, skills))
    assert again.status_code == 302 and again["Location"] == reverse("volunteers:mine")
    assert Volunteer.objects.count() == 1 and volunteer.log.count() == 1


def test_a_refused_application_comes_back_filled_in_with_the_reason(client_for, world, skills):
    medical = skills["medical"]
    data = _form(world, skills, **{f"skill_{medical.pk}": "professional"})
    response = client_for("relative").post(reverse("volunteers:apply"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "需要资质证明" in html
    assert "周末上午有空" in html  # what was typed is still there
    assert '<option value="professional" selected>' in html
    assert Volunteer.objects.count() == 0


def test_a_proof_upload_through_the_form(client_for, world, skills, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "core.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    medical = skills["medical"]
    scan = SimpleUploadedFile("证书.png", b"\x89PNG licence", content_type="image/png")
    data = _form(
        world, skills, **{f"skill_{medical.pk}": "professional", f"prooffile_{medical.pk}": scan}
    )
    response = client_for("relative").post(reverse("volunteers:apply"), data)
    assert response.status_code == 302
    row = Volunteer.objects.get().skills.get(skill=medical)
    assert row.proof_file and not row.proof_number


def test_anonymous_visitors_are_asked_to_log_in(client):
    response = client.get(reverse("volunteers:apply"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_my_page_shows_standing_and_lets_a_volunteer_pause_and_come_back(
    client_for, relative, staff, world, skills
):
    volunteer = application(
        relative, skills=[(skills["repair"], "experienced")], communities=[world.community_a]
    )
    from volunteers.services import volunteer_approve

    volunteer_approve(actor=staff, volunteer_id=volunteer.pk)
    client = client_for("relative")
    html = client.get(reverse("volunteers:mine")).content.decode()
    assert volunteer.name in html and "QX" in html and "暂停服务" in html

    client.post(reverse("volunteers:mine_standing", args=["pause"]), {"reason": "住院"})
    volunteer.refresh_from_db()
    assert volunteer.status == Status.PAUSED
    response = client.post(reverse("volunteers:mine_standing", args=["pause"]), follow=True)
    assert "只有在队的义工可以暂停服务" in response.content.decode()
    client.post(reverse("volunteers:mine_standing", args=["resume"]))
    volunteer.refresh_from_db()
    assert volunteer.status == Status.ACTIVE
    assert client.post(reverse("volunteers:mine_standing", args=["fly"])).status_code == 404


def test_the_me_page_links_to_volunteering(client_for, world):
    html = client_for("relative").get(reverse("accounts:me")).content.decode()
    assert reverse("volunteers:mine") in html


# -- the office -------------------------------------------------------------------------------


def test_staff_review_an_application_in_the_admin(client_for, relative, world, skills):
    volunteer = application(
        relative, skills=[(skills["medical"], "professional")], communities=[world.community_a]
    )
    client = client_for("staff")
    listing = client.get(reverse("volunteers_admin_list")).content.decode()
    assert "王秀英" in listing and "待审核（1）" in listing
    detail = client.get(reverse("volunteers_admin_detail", args=[volunteer.pk])).content.decode()
    assert "A-123" in detail  # the licence number, for staff

    response = client.post(reverse("volunteers_admin_decline", args=[volunteer.pk]), {"reason": ""})
    assert response.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.status == Status.PENDING
    client.post(reverse("volunteers_admin_approve", args=[volunteer.pk]))
    volunteer.refresh_from_db()
    assert volunteer.status == Status.ACTIVE and volunteer.number


def test_group_leaders_see_their_volunteers_but_not_the_proof_nor_the_buttons(
    client_for, relative, world, skills
):
    volunteer = application(
        relative, skills=[(skills["medical"], "professional")], communities=[world.community_a]
    )
    client = client_for("group_leader")
    html = client.get(reverse("volunteers_admin_detail", args=[volunteer.pk])).content.decode()
    assert "王秀英" in html
    assert "A-123" not in html
    assert "发放义工编号" not in html


def test_the_proof_file_is_downloaded_by_staff_only_and_logged(
    client_for, relative, world, skills, settings, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "core.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    from volunteers.services import SkillChoice, volunteer_apply

    medical = skills["medical"]
    volunteer = volunteer_apply(
        actor=relative,
        name="王秀英",
        skills=[
            SkillChoice(medical.pk, "professional", "", SimpleUploadedFile("l.pdf", b"%PDF-1 x"))
        ],
        times=1,
        community_ids=[world.community_a.pk],
    )
    url = reverse("volunteers_admin_proof", args=[volunteer.pk, medical.pk])
    response = client_for("staff").get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1 x"
    assert AccessLog.objects.filter(object_type="volunteer_proof", action="file").count() == 1
    assert client_for("group_leader").get(url).status_code == 302  # Wagtail's "denied"


def test_staff_enrol_a_paper_application(client_for, world, skills):
    client = client_for("staff")
    found = client.get(reverse("volunteers_admin_enrol"), {"q": "吴国栋"}).content.decode()
    assert "吴国栋" in found and f"?member={world.mA2.pk}" in found
    assert AccessLog.objects.filter(filters__for="volunteer_enrol").exists()

    refused = client.post(
        reverse("volunteers_admin_enrol"),
        {"member": world.mA2.pk, "communities": [world.community_a.pk]},
    )
    assert refused.status_code == 400
    assert "至少选择一项技能" in refused.content.decode()

    response = client.post(
        reverse("volunteers_admin_enrol"),
        {
            "member": world.mA2.pk,
            f"skill_{skills['calligraphy'].pk}": "professional",
            "times": [str(TimeSlot.WEEKDAY_MORNING)],
            "communities": [world.community_a.pk],
            "approve": "1",
        },
    )
    volunteer = Volunteer.objects.get()
    assert response.status_code == 302
    assert volunteer.member == world.mA2 and volunteer.status == Status.ACTIVE


def test_enrolment_cannot_reach_a_member_outside_scope(client_for, world, skills, cadre):
    from django.contrib.auth.models import Permission

    cadre.user_permissions.add(Permission.objects.get(codename="add_volunteer"))
    client = client_for("cadre")
    assert (
        client.get(reverse("volunteers_admin_enrol"), {"member": world.mB1.pk}).status_code == 404
    )
    found = client.get(reverse("volunteers_admin_enrol"), {"q": "郑海生"}).content.decode()
    assert f"?member={world.mB1.pk}" not in found
