"""The demo: a realistic synthetic region, generated, imported and scanned."""
