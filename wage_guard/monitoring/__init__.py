"""Health and metrics: whether the service can do its job, and what it has been doing."""
