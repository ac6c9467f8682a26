"""The ``fsspeckit`` console command; the commands themselves live in C++."""

import signal
import sys


def main(argv: list[str] | None = None) -> int:
    from . import _core

    # Ctrl-C ends the command as it would a native program; the C++ code does not poll
    # Python for signals.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.stdout.flush()
    sys.stderr.flush()
    return _core.run_cli(sys.argv[1:] if argv is None else list(argv))


if __name__ == "__main__":
    sys.exit(main())
