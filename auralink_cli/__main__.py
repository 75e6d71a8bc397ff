"""`python -m auralink_cli`: the same as the `auralink` command."""

from auralink_cli.main import main

main()
