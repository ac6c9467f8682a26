"""Extensions of fsspec filesystems (the original's ``fsspeckit.core.ext``)."""
