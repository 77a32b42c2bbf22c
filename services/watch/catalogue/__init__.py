"""The shipped catalogue of change notices (data)."""
