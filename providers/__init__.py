"""Provider directory service: a small JSON API over a SQL directory of licensed therapists.

See providers/README.md for the API; `python -m providers --help` for the command line.
"""
