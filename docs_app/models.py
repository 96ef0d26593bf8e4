"""Share links and docs pages (built by the shared-docs issue)."""
