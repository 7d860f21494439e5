"""Socket.IO gateway: Echo channels, presence channels, whispers, the event bus and the broadcast API."""
