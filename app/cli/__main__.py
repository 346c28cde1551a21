"""`python -m app.cli` runs the `perspectives` command."""

from app.cli.main import main

main()
