"""Why a number is not shown: a structured code, and the words a reader sees next to it.

Readers branch on the code (a widget picks its own kind wording, a console page its locale);
nobody parses the words. The words here are the API's (English); pages translate the code.
"""

from __future__ import annotations

from typing import Literal

# Codes a wave's plan stores per hidden cell or group.
PlanCode = Literal["few", "complement", "pooled"]
# Every code a reader can meet.
Code = Literal[
    "few",  # fewer than k respondents (or comment_k, for comments)
    "complement",  # hidden so that a smaller group cannot be worked out by subtraction
    "open",  # the wave has not closed: nothing is published while answers come in
    "not_asked",  # the wave did not ask this dimension or item
    "invitees",  # participation: fewer than k people were invited
    "unpublished",  # participation: shown only where the group's results are shown
    "pooled",  # not reported on its own: part of it is reported together with another team
]

COMPLEMENT_REASON = "hidden so that a smaller team cannot be worked out by subtraction"
OPEN_REASON = "wave still open"
NOT_ASKED_REASON = "not asked in this wave"
UNPUBLISHED_REASON = "shown only where the results are shown"


def reason_for(code: str, k: int, about: str | None = None) -> str:
    """The words an API reader sees next to a hidden number.

    `about` names the group the reason is about: for a complement, the small group it protects
    (so an admin knows what would show both); for "pooled", the group the team is reported in.
    """
    if code == "few":
        return f"fewer than {k} responses"
    if code == "complement":
        if about:
            return (
                f"hidden so that {about}, with fewer than {k} responses, cannot be worked out "
                f"by subtraction; both show once {about} has {k} or more"
            )
        return COMPLEMENT_REASON
    if code == "pooled":
        if about:
            return f"not reported on its own: part of it is reported together with {about}"
        return "not reported on its own: part of it is reported together with another team"
    if code == "open":
        return OPEN_REASON
    if code == "not_asked":
        return NOT_ASKED_REASON
    if code == "invitees":
        return f"fewer than {k} people invited"
    if code == "unpublished":
        return UNPUBLISHED_REASON
    # An unknown code is treated as hidden; the wording stays generic rather than leaking.
    return "hidden to protect anonymity"


def comments_reason_for(code: str, comment_k: int, about: str | None = None) -> str:
    """The words next to comments that are not shown."""
    if code in ("complement", "open", "pooled"):
        return reason_for(code, comment_k, about)
    return f"comments are shown only for groups of at least {comment_k} responses"
