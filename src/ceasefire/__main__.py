"""``python -m ceasefire``: the same command line as ``ceasefire``."""

from ceasefire.cli.app import main

if __name__ == "__main__":
    main()
