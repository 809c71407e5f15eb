"""The risk scan: extract frames from the database, run the checks, reconcile the alerts."""
