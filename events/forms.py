"""The public sign-up form: party size plus the event's own questions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import QuestionKind
from .pages import EventPage, EventQuestion


class SignupForm(forms.Form):
    """Field checks are left to the service (one set of rules and messages); this form only
    collects and redisplays what was typed."""

    party_size = forms.CharField(label=_("参加人数（含本人）"), initial="1", max_length=3)

    def __init__(self, *args, event: EventPage, questions: list[EventQuestion], **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        self.questions = questions
        size = self.fields["party_size"]
        size.widget = forms.NumberInput(
            attrs={"min": 1, "max": event.party_size_max, "inputmode": "numeric"}
        )
        if event.party_size_max > 1:
            size.help_text = _("最多 %(n)d 人，可带家人同行") % {"n": event.party_size_max}
        else:
            size.widget = forms.HiddenInput()
        for question in questions:
            name = f"q{question.pk}"
            if question.kind == QuestionKind.YES_NO:
                field = forms.ChoiceField(
                    label=question.label,
                    choices=[("是", _("是")), ("否", _("否"))],
                    widget=forms.RadioSelect,
                    required=False,
                )
            elif question.kind == QuestionKind.CHOICE:
                field = forms.ChoiceField(
                    label=question.label,
                    choices=[(c, c) for c in question.choice_list()],
                    widget=forms.RadioSelect,
                    required=False,
                )
            else:
                field = forms.CharField(label=question.label, max_length=500, required=False)
            # The service checks required answers; the browser gets a hint too.
            field.widget.is_required = question.required
            if question.required:
                field.label = f"{question.label} *"
            self.fields[name] = field

    def answers(self) -> dict[str, str]:
        data = self.data
        return {str(q.pk): data.get(f"q{q.pk}", "") for q in self.questions}

    def party_size_value(self) -> str:
        return self.data.get("party_size", "1")
