"""The scheduler and its jobs: the nightly scan claimed once per date, and housekeeping."""
