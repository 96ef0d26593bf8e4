"""Shared building blocks every app uses; imports no app (errors, API helpers, formats, Markdown)."""
