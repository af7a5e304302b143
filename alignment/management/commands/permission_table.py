"""``python manage.py permission_table``: who may call what in the API, as Markdown.

It prints ``alignment.permission_table``, the table the tests call row by row;
``docs/permissions.md`` is its output (``python manage.py permission_table >
docs/permissions.md``), and a test fails when the two differ.
"""

from django.core.management.base import BaseCommand

from alignment.permission_table import CALLER_NOTES, CALLERS, PERMISSIONS, Row

INTRO = """\
# Who may call what

<!-- Made by `python manage.py permission_table` from `alignment/permission_table.py`;
do not edit by hand (a test compares the two). -->

Every endpoint of the REST API v1 (paths under `/api/v1/`) and the status each kind of
caller gets. The tests make every one of these calls, as every caller, with a body the
endpoint accepts, so a success here is a call that works and a `403` is a door that is
shut whatever the body.

The callers:

{callers}

**Object** says what the call is about: `own` is the caller's (a campaign or goal they own,
a lead they own or claimed, their token, import or job, a notification to them, their own
availability), `other` someone else's, and a few rows name a state instead. Empty: a
list, or an object nobody owns.

**Statuses**: the success of the call (`200`, `201`, `202`, `204`); `401` no or bad
credentials; `403` the caller's role may not; `404` not found, or not visible to this
caller; `409` a conflict of state.
"""


def _path(row: Row) -> str:
    return f"`{row.path or '/'}`"


def _section(row: Row) -> str:
    return row.path.split("/", 1)[0] or "index"


def render() -> str:
    callers = "\n".join(f"- **{caller}**: {CALLER_NOTES[caller]}" for caller in CALLERS)
    lines = [INTRO.format(callers=callers)]
    header = ["method", "path", "object", *CALLERS, "note"]
    sections: dict[str, list[Row]] = {}
    for row in PERMISSIONS:
        sections.setdefault(_section(row), []).append(row)
    for section, rows in sections.items():
        lines += [
            f"## {section}",
            "",
            "| " + " | ".join(header) + " |",
            "|" + "|".join(" --- " for _ in header) + "|",
        ]
        for row in rows:
            cells = [row.method, _path(row), row.object, *map(str, row.statuses.values()), row.note]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Print who may call each endpoint of the API (the permission table) as Markdown."

    def handle(self, *args, **options):
        self.stdout.write(render(), ending="")
