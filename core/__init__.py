"""Building blocks shared by every app (errors, API helpers, versioning, query numbers, timestamps,
formats, Markdown, the OpenAPI names); this package imports no app."""
