"""WebSocket mocks: any endpoint served from its documented messages (docs/mock.md)."""
