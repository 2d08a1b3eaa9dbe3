"""The site's features, each one folder of browser modules (``docs/assets/js/<feature>/``), of templates
(``site_tools/templates/<feature>/``, where it has any) and of tests (``tests/<feature>/``), and the arrows
between them: a feature's modules import only from itself and the features it names here, so a change in
one finds its files in one place and no two features import each other.

The build stops on a module outside these folders or an import against the arrows
(``page_modules.check_arrows``), and on a template folder that is no feature.
"""

from __future__ import annotations

# feature: the features its modules may import from (what several features use is in core).
FEATURES: dict[str, tuple[str, ...]] = {
    "core": (),  # the DOM, the API, dates, Python's worker, offline, bytes, the passcode, the answers' view
    "site": ("core",),  # every page: quick exit, focus in view, the navigation drawer
    "worksheet": ("core",),  # the form, autosave and its store, the session log, the lock's panel, files
    "request": ("core", "worksheet"),  # answering a therapist's request: HPKE
    "share": ("core", "worksheet", "request"),  # the share panel, one-time links and their envelope
    "ask": ("core", "request"),  # the therapist's requests and inbox
    "open": ("core", "share"),  # the therapist opens a one-time link
}
