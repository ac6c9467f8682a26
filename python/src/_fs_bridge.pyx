# distutils: language = c++
# cython: language_level=3
"""fsspeckit._fs_bridge: hands the C++ FileSystem behind a pyarrow.fs.FileSystem to C++.

pyarrow has no public C API for this (ARROW.md 2.4); Cython can read the `wrapped`
shared_ptr of pyarrow's FileSystem class from the .pxd files the wheel ships. The
capsule owns a copy of that shared_ptr; fsspeckit._core copies it out.
"""

from libcpp.memory cimport shared_ptr
from cpython.pycapsule cimport PyCapsule_New, PyCapsule_GetPointer
from pyarrow._fs cimport FileSystem
from pyarrow.includes.libarrow_fs cimport CFileSystem

CAPSULE_NAME = b"fsspeckit.arrow_filesystem"


cdef void _release(object capsule) noexcept:
    cdef shared_ptr[CFileSystem]* held = <shared_ptr[CFileSystem]*>PyCapsule_GetPointer(
        capsule, b"fsspeckit.arrow_filesystem")
    del held


def filesystem_capsule(FileSystem filesystem):
    """A capsule holding the C++ filesystem of a pyarrow.fs.FileSystem."""
    cdef shared_ptr[CFileSystem]* held = new shared_ptr[CFileSystem](filesystem.wrapped)
    return PyCapsule_New(<void*>held, b"fsspeckit.arrow_filesystem", _release)


def filesystem_from_capsule(capsule):
    """The pyarrow.fs.FileSystem for a capsule made by C++ (the same C++ filesystem)."""
    cdef shared_ptr[CFileSystem]* held = <shared_ptr[CFileSystem]*>PyCapsule_GetPointer(
        capsule, b"fsspeckit.arrow_filesystem")
    return FileSystem.wrap(held[0])
