"""The composition root: the only package that assembles the node (every backend chosen from the config, Services
built whole, the HTTP app and the gateway attached), serves it and offers the command line."""
