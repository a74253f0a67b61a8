"""``python -m calciscope``: the same as the ``calciscope`` command."""

from calciscope.cli.app import main

main()
