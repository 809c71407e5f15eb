"""Tests of the imports: reading, validating and writing the five kinds of file."""
