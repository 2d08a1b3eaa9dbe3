"""Where the API lives on the site, declared once: the blueprints' prefixes, the headers, the error pages and
the worker's refusals are all made from it."""

API_PREFIX = "/api"


def is_api_path(path: str) -> bool:
    return path == API_PREFIX or path.startswith(f"{API_PREFIX}/")
