"""Test-only fixtures; hypothesis profiles are in the root conftest.py (doctests use them too)."""
