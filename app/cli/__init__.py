"""The `perspectives` command: one group (main.py), one module per subcommand, shared options."""
