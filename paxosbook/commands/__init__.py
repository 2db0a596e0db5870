"""Subcommands of ``python -m paxosbook``; each module has ``add_parser`` and ``main``."""
