"""The alert store: warnings (预警), their lifecycle and their history."""
