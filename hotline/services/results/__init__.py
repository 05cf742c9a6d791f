"""Public results: confirmed, checked precincts only, with nothing personal in them."""
