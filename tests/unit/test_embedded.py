"""The embedded database is started durable: a commit it acknowledges survives a kill -9."""

from __future__ import annotations

from dimm.embedded import secantus_command


class TestSecantusCommand:
    def test_every_commit_is_synced_to_the_journal_before_it_is_acknowledged(self) -> None:
        # SecantusDB ignores j:true on commitTransaction: only this flag makes transactions durable.
        assert "--sync-on-commit" in secantus_command(27117, storage="/tmp/mongo")

    def test_it_listens_on_loopback_only(self) -> None:
        command = secantus_command(27117, storage="/tmp/mongo")
        assert command[command.index("--host") + 1] == "127.0.0.1"
