"""The maturity-model schema every service shares: versioned, immutable data."""
