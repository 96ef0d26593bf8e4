"""The Socket.IO client protocol, spoken over one WebSocket (the WebSocket transport only).

Pure codecs (``engine``: Engine.IO 3 and 4 packets; ``packets``: Socket.IO packets with binary
attachments; ``handshake``: the handshake URL and input rules) and ``client``, which drives
them over a ``websockets`` connection: the Engine.IO open and heartbeat of each version,
namespaces, events and acknowledgements.
"""
