"""Nothing here on purpose: a test of the domain core needs only the standard library and pytest.

Folders that need Redis, a database or the app re-export the fixtures of `tests/support/stack.py`
in their own conftest.py.
"""
