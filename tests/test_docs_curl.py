"""The shell examples in docs/*.md run, in order, against a live server: the docs cannot drift.

Which examples run is explicit. A fenced block opened with ```` ```sh run ```` is runnable; any
other block (```` ```sh ````, ```` ```json ````, ...) is prose and never runs. Renderers show
``sh run`` blocks as ordinary shell, so a reader sees nothing special.

Each doc with runnable blocks is one walk-through: its blocks are joined, in the order they
appear, into one bash script that runs against a fresh database and a real granian server (the
production command line, `service.serve.granian_argv`), with `candor` on PATH and `DATABASE_URL`
set as the docs tell an operator to. Shell variables carry from block to block ($KEY, $ENG, $PULSE,
$WAVE, ...), as they would in the reader's terminal. The script stops at the first command that
fails (`set -e`, `pipefail`), and the failure names the doc and line. Requests go through
`curl --fail-with-body`, so any answer of 400 or more fails the command that sent it.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.servers import serve_app

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
RUN_FENCE = re.compile(r"^```sh[ \t]+run[ \t]*$")
FENCE = re.compile(r"^(`{3,})(.*)$")

TOOLS = ("bash", "curl", "jq")
needs_tools = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS),
    reason=f"the docs' examples need {', '.join(TOOLS)} on PATH",
)


@dataclass(frozen=True)
class Block:
    doc: str  # path relative to the repository
    line: int  # the doc's line number of the block's first line
    text: str


def runnable_blocks(markdown: str, doc: str) -> list[Block]:
    """The ```sh run blocks of a markdown text, in order.

    A fence that mentions `run` in any other way (```bash run, ```sh runs) is an error rather than
    prose, so a mistyped marker cannot quietly turn an example off.
    """
    blocks: list[Block] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        opened = FENCE.match(lines[i])
        if not opened:
            i += 1
            continue
        fence, start = opened.group(1), i
        end = next(
            (j for j in range(i + 1, len(lines)) if lines[j].strip() == fence),
            None,
        )
        if end is None:
            raise ValueError(f"{doc}:{start + 1}: a code block is never closed")
        if re.search(r"\brun", opened.group(2)) and not RUN_FENCE.match(lines[start]):
            raise ValueError(f"{doc}:{start + 1}: write a runnable block's fence as ```sh run")
        if RUN_FENCE.match(lines[start]):
            blocks.append(Block(doc, start + 2, "\n".join(lines[start + 1 : end])))
        i = end + 1
    return blocks


PRELUDE = """\
set -euo pipefail
shopt -s inherit_errexit
trap 'echo "DOCTEST-FAILED $LINENO $BASH_COMMAND" >&2' ERR
"""


@dataclass(frozen=True)
class Script:
    text: str
    where: list[tuple[int, Block]]  # (first script line, block), in order

    def doc_line(self, script_line: int) -> tuple[str, int]:
        first, block = max(
            ((f, b) for f, b in self.where if f <= script_line), key=lambda fb: fb[0]
        )
        return block.doc, block.line + script_line - first


def script_of(blocks: list[Block]) -> Script:
    parts = [PRELUDE]
    line = PRELUDE.count("\n") + 1
    where: list[tuple[int, Block]] = []
    for block in blocks:
        where.append((line, block))
        parts.append(block.text + "\n")
        line += block.text.count("\n") + 1
    return Script("".join(parts), where)


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str
    failed_at: tuple[str, int] | None  # (doc, last line) of the command that failed

    def explain(self) -> str:
        where = f"{self.failed_at[0]}:{self.failed_at[1]}" if self.failed_at else "(unknown)"
        return (
            f"the example ending at {where} failed (exit {self.returncode})\n"
            f"--- stderr (last lines) ---\n{self.stderr[-3000:]}\n"
            f"--- stdout (last lines) ---\n{self.stdout[-2000:]}"
        )


def run_blocks(blocks: list[Block], env: dict[str, str], cwd: Path) -> Run:
    script = script_of(blocks)
    r = subprocess.run(
        ["bash", "-c", script.text],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    # The trap reports the top-level command that stopped the script (not the line inside the
    # `api` function or a command substitution where curl failed). An unset variable stops
    # bash before any trap runs; its own message names the line.
    failed = re.findall(r"^DOCTEST-FAILED (\d+) ", r.stderr, re.M) or re.findall(
        r"^bash: line (\d+): ", r.stderr, re.M
    )
    at = script.doc_line(int(failed[-1])) if r.returncode and failed else None
    return Run(r.returncode, r.stdout, r.stderr, at)


def docs_with_examples() -> list[Path]:
    return [p for p in sorted(DOCS.glob("*.md")) if runnable_blocks(p.read_text(), p.name)]


# --- the live server and the reader's shell ------------------------------------------------------

UNSET = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "CANDOR_ENV", "SMTP_URL", "CANDOR")


@pytest.fixture(scope="module")
def server(database_url: str, redis_url: str, tmp_path_factory: Any) -> Iterator[str]:
    """granian as production runs it (`service.serve.granian_argv`); yields its base URL."""
    env = {
        "CANDOR_ENV": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "RATE_LIMIT": "off",
    }
    log_path = tmp_path_factory.mktemp("docs") / "server.log"
    # Waits until it answers (polling /ready with a deadline), not for a fixed time.
    with serve_app(env, log_path) as live:
        yield live.base_url


@pytest.fixture
def shell_env(server: str, database_url: str, tmp_path: Path) -> dict[str, str]:
    """A reader's terminal next to a running Candor: the CLI needs only DATABASE_URL."""
    base = {k: v for k, v in os.environ.items() if k not in UNSET}
    data = tmp_path / "data"
    data.mkdir()
    return {
        **base,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{base.get('PATH', '')}",
        "CANDOR": server,
        "DATABASE_URL": database_url,
        "CANDOR_DATA_DIR": str(data),  # never the repository's .candor with a dev note
    }


def doc_id(p: Path) -> str:
    return f"docs/{p.name}"


def read_blocks(doc: Path) -> list[Block]:
    return runnable_blocks(doc.read_text(), doc_id(doc))


# --- the convention ------------------------------------------------------------------------------

SAMPLE = """\
Prose:

```sh
curl -X DELETE $CANDOR/api/v1/everything
```

```sh run
ID=$(api $CANDOR/api/v1/org | jq -r .id)
api $CANDOR/api/v1/teams
```

````md
```sh run
echo "inside another block: an example of the convention, not a runnable block"
```
````

```sh run
echo "$ID"
```
"""


def test_only_blocks_marked_sh_run_are_picked_in_order_with_their_lines() -> None:
    blocks = runnable_blocks(SAMPLE, "sample.md")
    assert [(b.line, b.text.splitlines()[0]) for b in blocks] == [
        (8, "ID=$(api $CANDOR/api/v1/org | jq -r .id)"),
        (19, 'echo "$ID"'),
    ]
    script = script_of(blocks)
    line = script.text.splitlines().index("api $CANDOR/api/v1/teams") + 1
    assert script.doc_line(line) == ("sample.md", 9)


def test_an_unclosed_block_is_an_error_not_a_silent_skip() -> None:
    with pytest.raises(ValueError, match=r"sample\.md:1: a code block is never closed"):
        runnable_blocks("```sh run\napi $CANDOR/api/v1/org\n", "sample.md")


@pytest.mark.parametrize("fence", ["```bash run", "```sh runs", "```sh run-me", "```shell run"])
def test_a_mistyped_marker_is_an_error_not_prose(fence: str) -> None:
    with pytest.raises(ValueError, match=r"sample\.md:3: write a runnable block's fence"):
        runnable_blocks(f"Text\n\n{fence}\napi $CANDOR/api/v1/org\n```\n", "sample.md")


@pytest.mark.parametrize("doc", docs_with_examples(), ids=doc_id)
def test_runnable_examples_can_fail(doc: Path) -> None:
    """Every request in a runnable block fails on an error answer, and no failure is swallowed."""
    for block in read_blocks(doc):
        for n, line in enumerate(block.text.splitlines()):
            where = f"{block.doc}:{block.line + n}"
            if re.search(r"\bcurl\b", line) and "api()" not in line:
                assert "--fail-with-body" in line, f"{where}: a bare curl; use `api`"
            # `export X=$(cmd)` and `local X=$(cmd)` hide cmd's failure from `set -e`.
            assert not re.search(r"\b(export|local|declare|readonly)\s+\w+=\$\(", line), where
            assert "|| true" not in line, where
    defined = "\n".join(b.text for b in read_blocks(doc))
    if re.search(r"^\s*api\b|\$\(api\b|\bapi -", defined, re.M):
        assert re.search(r"api\(\) \{ curl [^}]*--fail-with-body", defined), "api() must fail"


@pytest.mark.parametrize(
    ("second", "line"),
    [
        ("false", 3),  # a failing command
        ('echo "$NOT_SET"', 3),  # a variable no earlier block set
        ("X=$(false | cat)\necho never", 3),  # a failure inside a pipeline inside $(...)
    ],
)
def test_a_failing_command_stops_the_run_and_names_its_doc_line(
    second: str, line: int, tmp_path: Path
) -> None:
    doc = f"```sh run\necho one\n{second}\necho after\n```\n"
    run = run_blocks(runnable_blocks(doc, "x.md"), {"PATH": os.environ["PATH"]}, tmp_path)
    assert run.returncode != 0 and "after" not in run.stdout and "never" not in run.stdout
    assert run.failed_at == ("x.md", line), run.stderr


def test_the_admin_api_doc_has_runnable_examples() -> None:
    assert DOCS / "admin-api.md" in docs_with_examples()


# --- running them --------------------------------------------------------------------------------


@needs_tools
@pytest.mark.parametrize("doc", docs_with_examples(), ids=doc_id)
async def test_the_docs_examples_run_against_a_live_server(
    doc: Path, pool: Any, redis_url: str, shell_env: dict[str, str], tmp_path: Path
) -> None:
    run = await asyncio.to_thread(run_blocks, read_blocks(doc), shell_env, tmp_path)
    assert run.returncode == 0, run.explain()
    if doc.name == "admin-api.md":
        await the_walk_through_reached_a_closed_wave_and_mailed_no_one_by_surprise(pool)


async def the_walk_through_reached_a_closed_wave_and_mailed_no_one_by_surprise(pool: Any) -> None:
    # One org, one pulse, whose own schedule is still ahead: creating it sent nothing.
    pulses = await pool.fetch("SELECT next_wave_at > now() AS ahead FROM pulses")
    assert [p["ahead"] for p in pulses] == [True]
    # The one wave the doc opened on purpose, now closed: every email queued is of that wave.
    assert [w["state"] for w in await pool.fetch("SELECT state FROM waves")] == ["closed"]
    mailed = """
        SELECT count(DISTINCT i.wave_id) FROM outbox o JOIN invitations i ON i.id = o.invitation_id
    """
    assert await pool.fetchval(mailed) == 1


MUTATIONS = [
    # (what is changed, the text, what it becomes)
    ("a wrong path", "/api/v1/waves/$WAVE/close", "/api/v1/waves/$WAVE/shut"),
    ("an unknown field", '"items_per_wave": 6', '"items_per_round": 6'),
]


@needs_tools
@pytest.mark.parametrize(("change", "old", "new"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
async def test_a_broken_example_fails_and_names_its_line(
    change: str,
    old: str,
    new: str,
    pool: Any,
    redis_url: str,
    shell_env: dict[str, str],
    tmp_path: Path,
) -> None:
    text = (DOCS / "admin-api.md").read_text()
    assert text.count(old) == 1, f"the doc no longer has {old!r}; pick another mutation"
    mutated = text.replace(old, new)
    line = next(n for n, s in enumerate(mutated.splitlines(), 1) if new in s)
    blocks = runnable_blocks(mutated, "docs/admin-api.md")
    run = await asyncio.to_thread(run_blocks, blocks, shell_env, tmp_path)
    assert run.returncode != 0, f"{change}: the run passed"
    assert run.failed_at is not None, run.stderr[-2000:]
    doc, at = run.failed_at
    # Bash names a command by its last line: for a request with a body below it, the body's end.
    assert doc == "docs/admin-api.md" and line <= at <= line + 12, (change, run.failed_at, line)
