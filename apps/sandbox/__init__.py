"""Emulators of the external systems Tidsbro talks to (dev, demo and tests; off in production)."""
