"""Pure domain of the watch service: no I/O library is imported here."""
