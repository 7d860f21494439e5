"""`python -m messenger_gateway` is the `messenger-gateway` command."""
import sys

from messenger_gateway.app.cli import main

sys.exit(main())
