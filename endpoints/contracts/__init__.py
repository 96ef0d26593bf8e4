"""Message contracts: the documented messages of an endpoint, their JSON Schemas and match
rules, compiled once and checked against frames by the API (sends) and the relay (every frame).

Pure code over plain data (no models), so the relay can use it without the ORM.
"""
