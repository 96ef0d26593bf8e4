"""The mock's pure parts: the behaviour spec (checked and compiled), reply templates, and the
per-connection state machine. No ORM, no sockets: the consumer feeds frames in and sends out
what comes back."""
