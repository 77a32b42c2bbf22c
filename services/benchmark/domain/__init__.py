"""Pure domain of the benchmark service: no I/O library is imported here."""
