"""Dataset tooling; the PyArrow backend lives in ``fsspeckit.datasets.pyarrow``."""
