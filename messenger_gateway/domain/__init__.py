"""Domain rules and actions: what a provider may do, independent of HTTP and sockets."""
