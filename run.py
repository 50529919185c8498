"""Main entry point: ``python run.py`` runs the default scenario end to end.

See ``python run.py --help`` for the commands (validate, simulate, optimise, run,
compare, vpp, sweep).
"""

import sys

from nzv_energy.cli import main

if __name__ == "__main__":
    sys.exit(main())
