"""``python -m knowledge …`` — see :mod:`knowledge.cli`."""
import sys

from .cli import main

sys.exit(main())
