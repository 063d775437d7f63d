"""``{% load quality %}{% quality_counts participant %}``: a participant's (or one form's) query counts, with a
link to its data-quality page, for the participant page and the form page to include."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("quality/_counts.html", takes_context=True)
def quality_counts(context: Any, participant: Any, visit: str | None = None, form: str | None = None) -> dict[str, Any]:
    from celltrial.accounts import permissions
    from celltrial.capture.quality import services
    from celltrial.capture.quality.permissions import QUALITY_VIEW

    request = context.get("request")
    user = getattr(request, "user", None)
    site_code = participant.site.code
    if user is None or not permissions.has_perm(user, QUALITY_VIEW, site_code):
        return {"shown": False}
    counts = services.counts(participant.pk, visit=visit, form=form)
    hold = services.governing_hold(participant.pk, visit, form) if visit and form else None
    return {"shown": True, "participant": participant, "counts": counts, "visit": visit, "form": form,
            "hold": services.hold_message(hold) if hold else ""}
