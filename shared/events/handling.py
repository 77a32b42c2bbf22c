"""What a handler may say about an event it cannot handle now: wait for something, or never."""

from __future__ import annotations


class PermanentError(Exception):
    """A failure that retrying cannot fix: the event goes straight to the dead-letter topic."""


class WaitingFor(Exception):
    """The event needs something not seen yet (another partition may still be carrying it).

    Raise it before writing anything: the consumer parks the event, in the same transaction as
    its processed key, and resumes it once an event that satisfies the dependency is handled.
    """

    def __init__(self, dependency: str) -> None:
        super().__init__(f"waiting for {dependency}")
        self.dependency = dependency


def model_version(model_id: str, version: str) -> str:
    """Name the dependency on a published model version."""
    return f"model:{model_id}@{version}"


def organisation(organisation_id: str) -> str:
    """Name the dependency on a registered organisation."""
    return f"organisation:{organisation_id}"
