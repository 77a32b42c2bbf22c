"""python -m dimm: the same as the `dimm` command."""

from dimm.cli import main

main()
