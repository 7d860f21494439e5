#!/usr/bin/env python
"""`python run.py` in a checkout is the `messenger-gateway` command (messenger_gateway/app/cli.py)."""
import sys

from messenger_gateway.app.cli import main

if __name__ == "__main__":
    sys.exit(main())
