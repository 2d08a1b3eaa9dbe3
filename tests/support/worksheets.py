"""The worksheets the tests use, read from their content files as the build reads them: the site's first
worksheet, and the tests' own fixture (``FIXTURE``), which uses every kind of section, prompt and log column
and is built into the tests' site only (``WORKSHEETS_ALSO``, set by scripts/test.sh)."""

from __future__ import annotations

from py_client.content import Worksheet
from site_tools import worksheet_content
from tests.support.servers import ROOT

FIXTURES = ROOT / "tests" / "worksheet" / "fixtures"
FIXTURE = "every-kind"
TRUST_ID = "building-trust-and-safety"


def trust() -> Worksheet:
    return worksheet_content.read(worksheet_content.FOLDER / f"{TRUST_ID}.md").worksheet


def fixture() -> Worksheet:
    return worksheet_content.read(FIXTURES / f"{FIXTURE}.md").worksheet


def page_path(worksheet_id: str) -> str:
    """A worksheet's page, under the site's root."""
    return f"/{worksheet_content.PAGES_FOLDER}/{worksheet_id}/"
