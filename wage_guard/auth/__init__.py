"""Users, API tokens (stored as digests), roles, scopes and the access log."""
