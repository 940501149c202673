"""What POST /api/v1/people/import reads from its body, for the API reference.

The handler reads the CSV file itself (importer.py and people_csv.py are the rule); this only
describes it so the reference shows the file's columns and an example.
"""

from __future__ import annotations

from litestar.openapi.spec import OpenAPIType, Operation, Schema

from ...apidoc import with_request_body

_EXAMPLE = (
    "email,display_name,locale,team,active\n"
    "ann@example.com,Ann de Vries,nl,Engineering/Platform,true\n"
    'bob@example.com,"Bob Smith, Jr.",en,Engineering/Apps,\n'
    "carl@example.com,Carl,,Sales,false\n"
)

_CSV = Schema(
    type=OpenAPIType.STRING,
    description=(
        "A UTF-8 CSV file with a header row. Columns, in any order: `email` and "
        "`display_name` (required), `locale` (`en` or `nl`), `team` (a path of team names "
        "from a root such as `Engineering/Platform`, or a team id) and `active` (true/false, "
        "yes/no, 1/0). An empty cell or a missing column keeps what is stored for a known "
        "person; any other column is refused."
    ),
    examples=[_EXAMPLE],
)

IMPORT_CSV: type[Operation] = with_request_body(
    "The people file itself as the body (Content-Type text/csv; application/csv is accepted "
    "too), at most 16 MiB and 100,000 people.",
    {"text/csv": (_CSV, _EXAMPLE), "application/csv": (_CSV, _EXAMPLE)},
)
