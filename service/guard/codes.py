"""Why a number is not shown: a structured code, and the words a reader sees next to it.

Readers branch on the code (a widget picks its own kind wording, a console page its locale);
nobody parses the words. The words here are the API's (English); pages translate the code.
"""

from __future__ import annotations

from typing import Literal

# Codes a wave's plan stores per hidden cell or group.
PlanCode = Literal["few", "complement"]
# Every code a reader can meet.
Code = Literal[
    "few",  # fewer than k respondents (or comment_k, for comments)
    "complement",  # hidden so that a smaller group cannot be worked out by subtraction
    "open",  # the wave has not closed: nothing is published while answers come in
    "not_asked",  # the wave did not ask this dimension or item
    "invitees",  # participation: fewer than k people were invited
    "unpublished",  # participation: shown only where the group's results are shown
]

COMPLEMENT_REASON = "hidden so that a smaller team cannot be worked out by subtraction"
OPEN_REASON = "wave still open"
NOT_ASKED_REASON = "not asked in this wave"
UNPUBLISHED_REASON = "shown only where the results are shown"


def reason_for(code: str, k: int) -> str:
    """The words an API reader sees next to a hidden number."""
    if code == "few":
        return f"fewer than {k} responses"
    if code == "complement":
        return COMPLEMENT_REASON
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


def comments_reason_for(code: str, comment_k: int) -> str:
    """The words next to comments that are not shown."""
    if code in ("complement", "open"):
        return reason_for(code, comment_k)
    return f"comments are shown only for groups of at least {comment_k} responses"
