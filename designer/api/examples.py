"""The example designs shipped in `examples/`, read-only, for the editor's start page and Open….

Each example file opens with `#` comment lines saying what the lab teaches; that text is
answered as `teaches`, and the file itself as `yaml` (the editor saves it as a new design).
"""

from pathlib import Path

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Schema

router = Router(tags=["examples"])
EXAMPLES = Path(settings.BASE_DIR) / "examples"


class ExampleOut(Schema):
    name: str
    teaches: str
    yaml: str


def _teaches(text: str) -> str:
    """The file's leading comment, as one paragraph."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return " ".join(part for part in lines if part)


@router.get("/examples", response=list[ExampleOut])
def list_examples(request: HttpRequest):
    """Every example, in file-name order."""
    found = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        found.append({"name": path.stem, "teaches": _teaches(text), "yaml": text})
    return found
