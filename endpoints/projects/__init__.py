"""Projects and their members: who may do what (access.py), and the project base view."""
