"""The respond slice: what a person does with the link in their email.

It owns respondent tokens (derived from the invitation id, stored only as a hash), the page
behind the link and its JSON twin, the respondent's words in each language, and the one
statement that turns a submission into a sealed ballot (`submit`). Other slices use the token
functions (waves hashes them when it opens a wave, delivery puts them in links).
"""

from __future__ import annotations

from .models import Outcome
from .submission import comment_problem, submit
from .tokens import token_for, token_hash

__all__ = ["Outcome", "comment_problem", "submit", "token_for", "token_hash"]
