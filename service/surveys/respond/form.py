"""What the survey form shows: the wave's items in the page's language, and the group the
person's answers count toward, with how many were invited to it (design.md: the person's
defence). The page (routes.py) renders a `RespondForm` and the JSON twin returns the same one.
"""

from __future__ import annotations

from . import i18n
from .models import AnswerGroup, Choice, FormItem, Invitation, RespondForm


def form_view(inv: Invitation, locale: str) -> RespondForm:
    items = [
        FormItem(
            key=it["key"],
            text=it["texts"].get(locale) or it["texts"].get("en") or it["key"],
            choices=[
                Choice(v, label) for v, label in i18n.scale_labels(locale, it["min"], it["max"])
            ],
        )
        for it in inv.items
    ]
    return RespondForm(
        lang=locale,
        items=items,
        group=answer_group(inv, locale),
        k=inv.k,
        comment_k=inv.comment_k,
    )


def answer_group(inv: Invitation, locale: str) -> AnswerGroup | None:
    """The group of the invitation's team in the wave's frozen plan, in words."""
    if inv.group_name is None or inv.group_invited is None:
        return None
    partners = [
        i18n.t(locale, "direct_members", team=p["name"]) if p["parent"] else p["name"]
        for p in inv.group_partners
    ]
    n = inv.group_invited
    invited = i18n.t(locale, "invited_one") if n == 1 else i18n.t(locale, "invited_many", n=n)
    if inv.group_pooled and partners:
        joined = (
            partners[0]
            if len(partners) == 1
            else f"{', '.join(partners[:-1])} {i18n.t(locale, 'and')} {partners[-1]}"
        )
        said = i18n.t(
            locale, "group_pooled", group=inv.group_name, partners=joined, invited=invited
        )
    else:
        said = i18n.t(locale, "group_own", group=inv.group_name, invited=invited)
    shown = i18n.t(locale, "group_shown" if n >= inv.k else "group_never", k=inv.k)
    return AnswerGroup(
        name=inv.group_name,
        pooled=inv.group_pooled,
        together_with=partners,
        invited=n,
        text=f"{said} {shown}",
    )
