"""The worksheet's logic, in standard-library Python that runs in CPython and, through Pyodide, in the
browser: its content (``content``), the saved-answers format (``answers``), progress summaries and chart
(``progress``), exports (``exports``) and the worker's entry point (``bridge``)."""
