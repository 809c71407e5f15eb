"""Imports of the files contractors, banks and the bureau send (FORMATS.md)."""
