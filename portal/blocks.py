from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageBlock


class LinkCardBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("标题"), max_length=40)
    text = blocks.TextBlock(label=_("说明"), required=False, max_length=200)
    page = blocks.PageChooserBlock(label=_("链接到页面"), required=False)
    url = blocks.URLBlock(label=_("或外部链接"), required=False)

    class Meta:
        icon = "link"
        label = _("入口卡片")
        template = "blocks/link_card.html"


class BodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(
        label=_("小标题"), form_classname="title", template="blocks/heading.html"
    )
    paragraph = blocks.RichTextBlock(
        label=_("正文"), features=["bold", "italic", "link", "ol", "ul", "h3"]
    )
    image = ImageBlock(label=_("图片"))
    cards = blocks.ListBlock(LinkCardBlock(), label=_("入口卡片组"), template="blocks/cards.html")
