"""Pure domain of the assessment service: no I/O library is imported here."""
