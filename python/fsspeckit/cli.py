"""The ``fsspeckit`` console command; the commands themselves live in C++."""

import signal
import sys

# Loads pyarrow's S3 library (libarrow_s3), which registers s3:// with Arrow's URI
# resolver: the commands then open s3://, gs://, abfs:// and hdfs:// URIs as the
# Python API does, configured by the usual environment variables (AWS_ENDPOINT_URL, ...).
import pyarrow.fs  # noqa: F401


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
