"""Messenger Gateway: the Messenger REST API, a Laravel Echo compatible Socket.IO gateway and presence in one process.

The packages are floors, each importing only those below it:
app (the composition root) > rest > domain > gateway | presence > storage > core."""
