"""STS: short-lived keys (federation.py)."""
