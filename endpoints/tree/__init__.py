"""The tree of a project: folders, endpoints with their saved messages, tags, batch edits."""
