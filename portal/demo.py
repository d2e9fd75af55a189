"""Demo content for the home page. Idempotent: rewrites the home page's demo text."""

from __future__ import annotations

from .models import HomePage

ORDER = 20

INTRO = (
    "<p>侨心是街道侨联和社区共同的服务平台：社区为侨户做好经常联系、空巢老人关爱、节日走访和维权服务，"
    "侨户也在这里报名联谊活动、按特长参加义工、捐赠和建言，为社区出一份力。</p>"
)
BODY = [
    ("heading", "社区为侨服务"),
    (
        "paragraph",
        "<p>每个侨眷小组约十五户，由小组长、社区侨务干部和街道侨联委员三级负责联系。"
        "春节、端午、中秋、重阳，我们按农历上门看望；遇到权益问题，可以随时找我们。</p>",
    ),
    ("heading", "侨户回馈社区"),
    (
        "paragraph",
        "<p>医疗保健、法律咨询、家电维修、摄影、书法……欢迎按自己的特长加入侨之爱义工服务队。"
        "每年写一封家书、献一条计策、提供一条信息、走访一户家庭、做一次义工，就是“五个一”。</p>",
    ),
]


def seed(*, stdout, options: dict | None = None) -> list:
    home = HomePage.objects.first()
    if home is None:
        stdout.write("portal: no home page (run migrate first).")
        return []
    if home.intro == INTRO and len(home.body) == len(BODY) and home.live:
        stdout.write("portal: home page content already in place.")
        return []
    home.intro = INTRO
    home.body = [(kind, value) for kind, value in BODY]
    home.save_revision().publish()
    stdout.write("portal: home page content published.")
    return []
