"""Staff accounts signed in to the console (fixtures from `staff.py`)."""
from tests.web.console.staff import _fast_hashes, accounts, alice, bob, carol  # noqa: F401
