"""What the two submit routes read from their bodies, for the API reference.

Both handlers read their body themselves (to answer 415, 413 or a re-rendered form in the
person's words), so litestar cannot infer it; these describe it. They change nothing about how
a body is read or checked: submission.py and routes.py stay the rule.
"""

from __future__ import annotations

from litestar.openapi.spec import OpenAPIType, Operation, Schema

from ...apidoc import with_request_body
from .models import COMMENT_MAX

_COMMENT_WORDS = (
    "Optional free text for the team. Shown to its leaders only when the group has at least "
    "the wave's comment threshold of responses, never with who wrote it or when."
)
_COMMENT_EXAMPLE = "We could say more often what we are unsure about."
_COMMENT = Schema(
    type=[OpenAPIType.STRING, OpenAPIType.NULL],
    max_length=COMMENT_MAX,
    description=_COMMENT_WORDS,
    examples=[_COMMENT_EXAMPLE],
)
_FORM_COMMENT = Schema(
    type=OpenAPIType.STRING,
    max_length=COMMENT_MAX,
    description=_COMMENT_WORDS,
    examples=[_COMMENT_EXAMPLE],
)

SUBMIT_JSON: type[Operation] = with_request_body(
    "The answers to every item of the wave (see GET /api/v1/respond/{token} for the items "
    "and their scales), and an optional comment.",
    {
        "application/json": (
            Schema(
                type=OpenAPIType.OBJECT,
                required=["answers"],
                properties={
                    "answers": Schema(
                        type=OpenAPIType.OBJECT,
                        max_properties=20,
                        additional_properties=Schema(
                            type=OpenAPIType.INTEGER, minimum=-100, maximum=100
                        ),
                        description=(
                            "One answer per item of the wave: the item's key and a point of "
                            "its scale. Every item must be answered; a point outside the "
                            "item's scale answers 422."
                        ),
                        examples=[{"ps.risk": 5, "su.disagree": 4, "tr.reliable": 6}],
                    ),
                    "comment": _COMMENT,
                },
                additional_properties=False,
            ),
            {
                "answers": {"ps.risk": 5, "su.disagree": 4, "tr.reliable": 6},
                "comment": "We could say more often what we are unsure about.",
            },
        )
    },
)

SUBMIT_FORM: type[Operation] = with_request_body(
    "The survey form as the page posts it: one `item:<key>` field per item holding the chosen "
    "point of its scale, and an optional `comment`. Other fields are ignored.",
    {
        "application/x-www-form-urlencoded": (
            Schema(
                type=OpenAPIType.OBJECT,
                properties={"comment": _FORM_COMMENT},
                pattern_properties={
                    "^item:": Schema(
                        type=OpenAPIType.STRING,
                        description="The chosen point of the item's scale, as digits",
                        examples=["5"],
                    )
                },
            ),
            {"item:ps.risk": "5", "item:su.disagree": "4", "comment": ""},
        )
    },
)
