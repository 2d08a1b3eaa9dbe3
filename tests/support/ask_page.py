"""The therapist's "Ask for answers" page, used as a therapist would."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .worksheet_page import PYTHON_TIMEOUT


class AskPage:
    def __init__(self, page, server_url: str):
        self.page = page
        self.url = f"{server_url}/ask/"
        self.answers = page.locator("#ws-ask-answers")
        self.inbox = page.locator("#ws-ask-list")

    def open(self) -> None:
        self.page.goto(self.url)
        expect(self.page.get_by_role("button", name="Make a request link")).to_be_enabled()

    def make_request(
        self, label: str = "", session_date: str = "", private_name: str = "", worksheet: str = ""
    ) -> tuple[str, str]:
        """Open the page and make a request link through its form; returns the link and the key fingerprint it shows."""
        self.open()
        return self.request_from_this_page(label, session_date, private_name, worksheet)

    def request_from_this_page(
        self, label: str = "", session_date: str = "", private_name: str = "", worksheet: str = ""
    ) -> tuple[str, str]:
        """Make a request link on the page as it is (a locked inbox opens only within one visit); ``worksheet``
        is the title of the worksheet to ask for (the first, unless given)."""
        if worksheet:
            self.page.get_by_role("group", name="The worksheet to ask for").get_by_label(worksheet).check()
        if label:
            self.page.get_by_label("A note the person will see (optional)").fill(label)
        if private_name:
            self.page.get_by_label("A private name for this request (optional)").fill(private_name)
        if session_date:
            self.page.get_by_label("Date of your next session (optional)").fill(session_date)
        self.page.get_by_role("button", name="Make a request link").click()
        link = self.page.get_by_label("Link to send to the person")
        expect(link).to_have_value(re.compile(r"/worksheets/[a-z0-9-]+/#r="))
        about = self.page.locator("#ws-ask-link-about").inner_text()
        return link.input_value(), about.rsplit("Key fingerprint: ", 1)[1].rstrip(".")

    def open_first_answer(self) -> None:
        """Reload the inbox, open the first answers that arrived, and wait until they are shown."""
        self.page.goto(self.url)
        self.inbox.get_by_role("button", name="Open").first.click()
        expect(self.answers).to_be_visible(timeout=PYTHON_TIMEOUT)
        expect(self.answers).not_to_be_empty(timeout=PYTHON_TIMEOUT)
