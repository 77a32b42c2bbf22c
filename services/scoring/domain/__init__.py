"""Pure domain of the scoring service: no I/O library is imported here."""
