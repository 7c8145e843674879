"""`python -m greenroom` runs the greenroom CLI (the same as the `greenroom` command)."""

from greenroom.interfaces.cli import main

main()
