"""`python -m interfaces` runs the greenroom CLI (the same as the `greenroom` command)."""

from interfaces.cli import main

main()
