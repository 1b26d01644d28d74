"""Helpers every layer may use (the lowest layer of docs/architecture.md): no models, no views."""
