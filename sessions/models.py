"""Debug sessions and their frame log (built by the debug-session issue)."""
