"""``python -m charter.cli``: the same as the ``charter`` command."""

from . import main

main()
