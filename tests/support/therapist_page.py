"""The page a one-time link opens, used as the therapist would."""

from __future__ import annotations

from playwright.sync_api import expect

from .worksheet_page import PYTHON_TIMEOUT


class TherapistPage:
    def __init__(self, page):
        self.page = page
        self.answers = page.locator("#ws-open-answers")
        self.message = page.locator("#ws-open-message")

    def visit(self, link: str) -> None:
        """Load ``link`` afresh: from the same address, a new #fragment alone would not load the page again."""
        self.page.goto("about:blank")
        self.page.goto(link)

    def reveal(self, link: str, passphrase: str = "") -> None:
        """Open the link and choose "Reveal answers" (after typing the passphrase, when one is given)."""
        self.visit(link)
        if passphrase:
            self.page.get_by_label("Passphrase", exact=True).fill(passphrase)
        self.page.get_by_role("button", name="Reveal answers").click()

    def read(self, link: str, passphrase: str = "") -> None:
        """Reveal the answers and wait until they are shown (Python decodes them in this browser)."""
        self.reveal(link, passphrase)
        expect(self.answers).to_be_visible(timeout=PYTHON_TIMEOUT)
