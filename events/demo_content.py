"""What the demo events say: titles, places, texts, questions and when they happen.

``events.demo`` turns these into pages and sign-ups.
"""

from __future__ import annotations

from dataclasses import dataclass

from .choices import Audience, EventKind, QuestionKind

PAST_DAYS = 300  # "about ten months ago"
AHEAD_DAYS = 90  # "three months ahead"

# Festivals by the lunar calendar (month, day), turned into dates by core.lunar.
FESTIVALS = {
    "dragon_boat": (5, 5),  # 端午
    "mid_autumn": (8, 15),  # 中秋
    "double_ninth": (9, 9),  # 重阳
}


DIET = [
    "",
    "",
    "",
    "",
    "不吃辣",
    "素食",
    "糖尿病，少糖少盐",
    "海鲜过敏",
    "不吃牛羊肉",
    "牙口不好，菜要软一些",
]
SHARING_QUESTIONS = [
    "",
    "",
    "孩子明年去英国读研，想了解租房和安全方面的经验",
    "想请教怎么和在美国的孩子保持沟通",
    "孩子在澳大利亚读本科，想了解打工和签证的规定",
    "医疗保险怎么买比较合适？",
    "想认识同在加拿大读书的孩子家长",
]


@dataclass(frozen=True)
class Question:
    label: str
    kind: str = QuestionKind.TEXT
    choices: str = ""
    required: bool = False
    samples: tuple[str, ...] = ()  # text answers the demo people give


DIET_QUESTION = Question("饮食禁忌", samples=tuple(DIET))
PICK_UP_QUESTION = Question("是否需要接送", QuestionKind.YES_NO)


@dataclass(frozen=True)
class DemoEvent:
    slug: str
    title: str
    kind: str
    start: tuple[int, int]  # (hour, minute), local time
    end: tuple[int, int]
    place: str
    capacity: int
    party_size_max: int
    summary: str
    description: str
    # When: a month and day, a festival ("mid_autumn", with a shift in days), or days from today.
    on: tuple[int, int] | None = None
    festival: tuple[str, int] | None = None
    days: int | None = None
    community: str | None = None  # organiser; "home" is the demo relative's community
    audience: str = Audience.EVERYONE
    audience_communities: tuple[str, ...] = ()
    questions: tuple[Question, ...] = ()
    signup_days: int = 21  # sign-up opens this many days before the start
    closes_days: int = 0  # sign-up (and cancelling) ends this many days before the start
    role: str = ""  # "full", "relative_upcoming", "relative_attended", "not_open"
    fill: tuple[float, float] = (0.65, 0.95)  # share of seats taken, past events
    ahead_fill: tuple[float, float] = (0.3, 0.6)  # share of seats taken so far, upcoming events


EVENTS: list[DemoEvent] = [
    DemoEvent(
        slug="spring-tea-party",
        title="新春侨界茶话会",
        kind=EventKind.TEA_PARTY,
        on=(3, 7),
        start=(14, 30),
        end=(16, 30),
        place="街道侨联活动中心多功能厅",
        capacity=120,
        party_size_max=2,
        summary="新春伊始，请侨眷、归侨和港澳眷属代表欢聚一堂，回顾一年工作，畅谈新年打算。",
        description=(
            "<p>春回大地，万象更新。街道侨联诚邀各社区侨眷、归侨和港澳眷属代表参加新春茶话会，"
            "一起品茶话家常，听听大家对侨联工作的意见和建议。</p>"
            "<h3>活动安排</h3><ul><li>街道侨联负责人介绍去年为侨服务情况和今年计划</li>"
            "<li>侨眷代表发言，“五个一”活动优秀家庭交流</li>"
            "<li>社区文艺队表演越剧、太极扇</li><li>茶叙、合影留念</li></ul>"
            "<p>现场备有茶点水果。行动不便的老人可由一位家人陪同，报名时请填写同行人数。</p>"
        ),
        questions=(DIET_QUESTION,),
    ),
    DemoEvent(
        slug="volunteer-day",
        title="学雷锋志愿服务日：侨之爱义工进社区",
        kind=EventKind.VOLUNTEER,
        on=(3, 14),
        start=(8, 30),
        end=(11, 30),
        place="西岙社区文化礼堂门前广场",
        community="西岙社区",
        capacity=40,
        party_size_max=1,
        summary="义诊量血压、免费修小家电、法律咨询、理发……侨之爱义工服务队在社区广场摆摊服务。",
        description=(
            "<p>三月学雷锋月，侨之爱义工服务队来到西岙社区，为居民提供便民服务。"
            "欢迎有医疗、法律、家电维修、理发等特长的侨眷报名当义工，也欢迎大家来逛逛。</p>"
            "<h3>服务项目</h3><ul><li>测血压、测血糖、用药咨询</li><li>小家电、雨伞、钟表维修</li>"
            "<li>涉侨法律咨询</li><li>老年人理发</li></ul>"
            "<p>义工请于 8:15 前到场领取马甲和工作牌。本次服务计入志愿服务时长。</p>"
        ),
        questions=(
            Question(
                "服务项目",
                QuestionKind.CHOICE,
                "医疗保健、家电维修、法律咨询、理发、现场引导",
                required=True,
            ),
        ),
    ),
    DemoEvent(
        slug="five-ones-forum",
        title="“五个一”活动交流座谈会",
        kind=EventKind.FORUM,
        on=(4, 18),
        start=(9, 0),
        end=(11, 0),
        place="街道侨联会议室",
        capacity=40,
        party_size_max=1,
        summary="写一封家书、献一条计策、提供一条信息、走访一户家庭、做一次义工——请大家来谈谈做法和体会。",
        description=(
            "<p>“五个一”活动开展以来，很多侨眷积极参与。本次座谈会请各社区代表交流好的做法，"
            "也听听大家对活动的改进意见。</p>"
            "<p>欢迎带上您写的家书或建议稿，会上可以现场分享。</p>"
        ),
    ),
    DemoEvent(
        slug="hometown-study-tour",
        title="家乡考察交流：走进海岛新渔村",
        kind=EventKind.STUDY_TOUR,
        on=(5, 16),
        start=(7, 30),
        end=(17, 0),
        place="街道侨联大楼门口集合，乘大巴前往",
        capacity=45,
        party_size_max=2,
        summary="一起去看看家乡渔村的新变化：参观渔港新貌、海洋文化展馆和美丽乡村建设。",
        description=(
            "<p>邀请侨眷和回乡探亲的海外乡亲一起走走家乡，看看渔村这些年的新变化。</p>"
            "<h3>行程</h3><ul><li>7:30 侨联大楼门口集合上车</li>"
            "<li>上午：参观渔港和海洋文化展馆</li>"
            "<li>中午：渔村农家午餐</li><li>下午：美丽乡村建设座谈，16:00 返程</li></ul>"
            "<p>全程有工作人员陪同，备有常用药品。一辆大巴 45 座，请按时报名，"
            "出发前三天截止报名和取消。</p>"
        ),
        questions=(PICK_UP_QUESTION, DIET_QUESTION),
        closes_days=3,
        fill=(0.85, 1.0),
    ),
    DemoEvent(
        slug="health-lecture-summer",
        title="健康讲座：夏季常见病预防与中医养生",
        kind=EventKind.LECTURE,
        on=(6, 27),
        start=(9, 0),
        end=(10, 30),
        place="社区卫生服务中心三楼会议室",
        capacity=80,
        party_size_max=2,
        summary="中医科医生讲夏季防暑、肠胃病预防和老年人饮食调理，讲座后可现场咨询。",
        description=(
            "<p>天气转热，老年人容易中暑、肠胃不适。本次讲座请社区卫生服务中心中医科医生主讲。</p>"
            "<ul><li>防暑降温的小常识</li><li>夏季肠胃病的预防</li><li>适合老年人的养生茶饮</li></ul>"
            "<p>讲座后医生留 30 分钟答疑，可带上近期体检报告。</p>"
        ),
    ),
    DemoEvent(
        slug="dragon-boat-zongzi",
        title="端午包粽子：侨眷邻里一家亲",
        kind=EventKind.OTHER,
        festival=("dragon_boat", -2),
        start=(14, 0),
        end=(16, 30),
        place="海滨社区文化礼堂",
        community="海滨社区",
        capacity=50,
        party_size_max=3,
        summary="一起包粽子、挂艾草、做香囊，包好的粽子送给社区空巢老人。",
        description=(
            "<p>端午节前，海滨社区邀请侨眷家庭和邻居一起包粽子。粽叶、糯米、馅料都由社区准备。</p>"
            "<p>包好的粽子一部分由义工送到社区空巢老人家中，欢迎带孩子一起来体验传统节日。</p>"
        ),
    ),
    DemoEvent(
        slug="parents-sharing-summer",
        title="留学生家长经验分享会：孩子出国前要准备什么",
        kind=EventKind.SHARING,
        on=(7, 18),
        start=(14, 30),
        end=(16, 30),
        place="街道侨联活动中心二楼会议室",
        audience=Audience.RELATIVES,
        capacity=50,
        party_size_max=2,
        summary="几位孩子在海外读书的家长讲讲选校、签证、住宿和安全，也欢迎准备送孩子出国的家长来取经。",
        description=(
            "<p>暑假是孩子出国前最忙的时候。我们请来几位孩子在英国、美国、澳大利亚读书的家长，"
            "和大家聊聊他们走过的路。</p>"
            "<h3>分享内容</h3><ul><li>签证和入学手续的时间安排</li><li>住宿、保险和看病</li>"
            "<li>人身安全和防诈骗</li><li>和孩子保持联系、关心心理健康</li></ul>"
            "<p>本场面向已在侨联登记的侨眷家庭。报名时可以写下您想请教的问题。</p>"
        ),
        questions=(Question("想请教的问题", samples=tuple(SHARING_QUESTIONS)),),
    ),
    DemoEvent(
        slug="english-summer-camp",
        title="侨之家暑期英语角",
        kind=EventKind.OTHER,
        on=(7, 25),
        start=(9, 0),
        end=(11, 0),
        place="北岙社区侨之家",
        community="北岙社区",
        capacity=30,
        party_size_max=1,
        summary="归国留学生志愿者带孩子们练口语、做游戏，也欢迎想学几句英语的老人。",
        description=(
            "<p>北岙社区侨之家暑期英语角开课啦！由回国的留学生做志愿者老师，"
            "用游戏和情景对话的方式练习日常英语。</p>"
            "<p>适合小学高年级和初中学生，也欢迎准备出国探亲的老人来学几句常用语。</p>"
        ),
    ),
    DemoEvent(
        slug="mid-autumn-gala",
        title="“月圆侨心”中秋联欢晚会",
        kind=EventKind.GALA,
        festival=("mid_autumn", -1),
        start=(18, 30),
        end=(21, 0),
        place="街道侨联活动中心大礼堂",
        capacity=200,
        party_size_max=3,
        summary="侨眷自编自演的歌舞、越剧和诗朗诵，和海外亲人视频连线共度中秋。",
        description=(
            "<p>每逢佳节倍思亲。中秋前夜，街道侨联和各社区邀请侨眷家庭共度佳节。</p>"
            "<h3>节目单（部分）</h3><ul><li>开场舞《月圆花好》——东港社区舞蹈队</li>"
            "<li>越剧选段——侨眷戏曲社</li><li>诗朗诵《月是故乡明》</li>"
            "<li>与海外乡亲视频连线送祝福</li><li>猜灯谜、分月饼</li></ul>"
            "<p>晚会结束较晚，行动不便的老人可申请接送。</p>"
        ),
        questions=(PICK_UP_QUESTION, DIET_QUESTION),
        signup_days=28,
    ),
    DemoEvent(
        slug="double-ninth-elderly-care",
        title="重阳敬老活动：为侨眷老人义诊、理发",
        kind=EventKind.VOLUNTEER,
        festival=("double_ninth", 0),
        start=(9, 0),
        end=(11, 30),
        place="南岙社区文化礼堂",
        community="南岙社区",
        audience=Audience.COMMUNITIES,
        audience_communities=("南岙社区", "北岙社区"),
        capacity=60,
        party_size_max=2,
        summary="重阳节为南岙、北岙两个社区的侨眷老人量血压、理发、拍全家福，中午一起吃长寿面。",
        description=(
            "<p>九九重阳，情暖夕阳。南岙社区联合侨之爱义工服务队，为南岙、北岙两个社区的侨眷老人"
            "送上重阳祝福。</p>"
            "<ul><li>义诊：测血压、血糖，用药咨询</li><li>义剪：老年人理发</li>"
            "<li>摄影义工拍全家福，冲印后送到家</li><li>中午长寿面</li></ul>"
            "<p>空巢老人可由小组长代为报名；需要上门接送的，报名时请注明。</p>"
        ),
        questions=(PICK_UP_QUESTION,),
    ),
    DemoEvent(
        slug="law-lecture",
        title="法律知识讲座：涉侨房产继承与公证",
        kind=EventKind.LECTURE,
        on=(12, 4),
        start=(14, 0),
        end=(16, 0),
        place="新街社区文化礼堂",
        community="新街社区",
        capacity=60,
        party_size_max=1,
        summary="国家宪法日，请律师讲海外亲属继承国内房产、办理委托公证的常见问题。",
        description=(
            "<p>海外亲属如何继承国内的房产？人在国外怎么办委托公证？本次讲座请侨联法律顾问主讲。</p>"
            "<ul><li>继承的法定顺序和遗嘱</li><li>境外文书的公证和认证</li>"
            "<li>房产过户的流程和费用</li></ul>"
            "<p>讲座后可一对一咨询，请带上相关材料的复印件。</p>"
        ),
    ),
    DemoEvent(
        slug="parents-sharing-winter",
        title="留学生家长经验分享会：寒假回国那些事",
        kind=EventKind.SHARING,
        on=(1, 16),
        start=(14, 30),
        end=(16, 30),
        place="街道侨联活动中心二楼会议室",
        capacity=50,
        party_size_max=2,
        summary="寒假孩子回国，请几位家长和留学生一起聊聊在外求学的酸甜苦辣。",
        description=(
            "<p>寒假里不少留学生回到家乡。本场请家长带着孩子一起来，说说海外学习和生活的真实情况。</p>"
            "<p>准备送孩子出国的家庭也欢迎参加，会后可以和分享的家长交换联系方式。</p>"
        ),
        questions=(Question("想请教的问题", samples=tuple(SHARING_QUESTIONS)),),
    ),
    DemoEvent(
        slug="health-lecture-blood-pressure",
        title="健康讲座：老年人高血压与糖尿病的日常管理",
        kind=EventKind.LECTURE,
        days=12,
        start=(9, 0),
        end=(10, 30),
        place="东港社区卫生服务站会议室",
        capacity=30,
        party_size_max=1,
        summary="心内科医生讲怎么量血压、怎么吃药、吃什么，讲座后免费测血糖。",
        description=(
            "<p>冬季是心脑血管疾病的高发期。本次讲座请区人民医院心内科医生，讲讲高血压和糖尿病老人"
            "日常要注意什么。</p>"
            "<ul><li>在家正确量血压</li><li>按时吃药，不随便停药</li><li>饮食和运动</li></ul>"
            "<p>会议室只有 30 个座位，额满后可以候补，有人取消时会按顺序通知。</p>"
        ),
        signup_days=30,
        role="full",
    ),
    DemoEvent(
        slug="smartphone-class",
        title="智能手机课堂：视频通话与防范电信诈骗",
        kind=EventKind.OTHER,
        days=26,
        start=(9, 0),
        end=(11, 0),
        place="文化礼堂二楼电脑室",
        community="home",
        capacity=40,
        party_size_max=2,
        summary="手把手教老人和海外亲人视频通话、发语音，认清常见的诈骗套路。",
        description=(
            "<p>很多老人的子女在海外，视频通话是最方便的联系方式。社区请志愿者手把手教大家用手机。</p>"
            "<ul><li>微信视频通话、发语音和照片</li><li>字体调大、常用设置</li>"
            "<li>冒充公检法、“海外亲友急需用钱”等诈骗套路</li></ul>"
            "<p>请带上自己的手机并充好电。分上午、下午两个场次，报名时请选择。</p>"
        ),
        questions=(
            Question("场次", QuestionKind.CHOICE, "上午场（9:00）、下午场（14:00）", required=True),
        ),
        signup_days=30,
        ahead_fill=(0.3, 0.5),
        role="relative_upcoming",
    ),
    DemoEvent(
        slug="spring-festival-forum",
        title="侨界迎新春座谈会",
        kind=EventKind.FORUM,
        days=75,
        start=(9, 30),
        end=(11, 30),
        place="街道侨联会议室",
        capacity=50,
        party_size_max=1,
        summary="征求侨眷对新一年侨联工作和春节走访慰问的意见建议。",
        description=(
            "<p>新春将至，街道侨联邀请各社区侨眷代表座谈，听听大家对春节走访慰问、"
            "侨之家服务和各项活动的意见。</p><p>报名将在活动前三周开始。</p>"
        ),
        role="not_open",
    ),
    DemoEvent(
        slug="fitness-class",
        title="侨之家健身操教学",
        kind=EventKind.OTHER,
        days=-60,
        start=(15, 0),
        end=(16, 30),
        place="文化礼堂一楼活动室",
        community="home",
        capacity=40,
        party_size_max=1,
        summary="社区健身队教一套适合中老年人的健身操，动作简单，跟着音乐就能学会。",
        description=(
            "<p>侨之家健身操教学开始啦！动作舒缓，适合中老年人，坚持练习可以活动关节、改善睡眠。</p>"
            "<p>请穿运动鞋和宽松的衣服，自带水杯。</p>"
        ),
        role="relative_attended",
    ),
    DemoEvent(
        slug="photography-walk",
        title="摄影采风：海岛秋色",
        kind=EventKind.OTHER,
        days=-28,
        start=(8, 0),
        end=(11, 30),
        place="桃花社区居委会门口集合",
        community="桃花社区",
        capacity=30,
        party_size_max=2,
        summary="侨眷摄影爱好者结伴拍海岛秋景，优秀作品将在侨联橱窗展出。",
        description=(
            "<p>由侨之爱义工服务队的摄影义工带队，沿海边步道拍摄秋日风光。"
            "手机、相机都可以，现场讲解构图和用光。</p>"
            "<p>优秀作品将在街道侨联橱窗和本网站展出。</p>"
        ),
    ),
]
