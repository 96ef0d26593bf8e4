"""The relay: holds upstream WebSocket connections, numbers and stores every frame in batches,
and publishes stored batches to live viewers. See README "Debug sessions"."""
