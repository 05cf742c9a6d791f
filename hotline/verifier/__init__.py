"""The standalone public verifier (verify_public.py: standard library and `cryptography` only)."""
