"""The tests' support layer: real servers, a client for the share API, and page objects for the worksheet
and the therapist's page, so that each test reads as a specification of what a person or an operator sees.
``conftest.py`` holds only the fixtures made from these."""
