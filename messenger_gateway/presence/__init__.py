"""Online status: heartbeats (and, later, live sockets) decide ONLINE / AWAY / OFFLINE."""
