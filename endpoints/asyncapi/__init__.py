"""AsyncAPI 3.0 export and AsyncAPI 3.0 / 2.6 import of a project's endpoints and messages
(docs/asyncapi.md)."""
