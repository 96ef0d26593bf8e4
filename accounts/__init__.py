"""Who is calling: personal access tokens, REST and WebSocket authentication, sign-up, provisioning."""
