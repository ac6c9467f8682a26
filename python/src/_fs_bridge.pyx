# distutils: language = c++
# cython: language_level=3
"""fsspeckit._fs_bridge: hands the C++ objects behind pyarrow's FileSystem and Dataset to C++.

pyarrow has no public C API for these (its C Data Interface covers arrays and streams, not
filesystems or datasets); Cython can read the shared_ptr inside pyarrow's classes from the
.pxd files the wheel ships (pyarrow/_fs.pxd, pyarrow/_dataset.pxd). Each capsule owns a copy
of that shared_ptr; fsspeckit._core copies it out.
"""

from libcpp.memory cimport shared_ptr
from cpython.pycapsule cimport PyCapsule_New, PyCapsule_GetPointer
from pyarrow._dataset cimport Dataset
from pyarrow._fs cimport FileSystem
from pyarrow.includes.libarrow_dataset cimport CDataset
from pyarrow.includes.libarrow_fs cimport CFileSystem

CAPSULE_NAME = b"fsspeckit.arrow_filesystem"
DATASET_CAPSULE_NAME = b"fsspeckit.arrow_dataset"


cdef void _release(object capsule) noexcept:
    cdef shared_ptr[CFileSystem]* held = <shared_ptr[CFileSystem]*>PyCapsule_GetPointer(
        capsule, b"fsspeckit.arrow_filesystem")
    del held


cdef void _release_dataset(object capsule) noexcept:
    cdef shared_ptr[CDataset]* held = <shared_ptr[CDataset]*>PyCapsule_GetPointer(
        capsule, b"fsspeckit.arrow_dataset")
    del held


def filesystem_capsule(FileSystem filesystem):
    """A capsule holding the C++ filesystem of a pyarrow.fs.FileSystem."""
    cdef shared_ptr[CFileSystem]* held = new shared_ptr[CFileSystem](filesystem.wrapped)
    return PyCapsule_New(<void*>held, b"fsspeckit.arrow_filesystem", _release)


def dataset_capsule(Dataset dataset):
    """A capsule holding the C++ dataset of a pyarrow.dataset.Dataset."""
    cdef shared_ptr[CDataset]* held = new shared_ptr[CDataset](dataset.unwrap())
    return PyCapsule_New(<void*>held, b"fsspeckit.arrow_dataset", _release_dataset)


def filesystem_from_capsule(capsule):
    """The pyarrow.fs.FileSystem for a capsule made by C++ (the same C++ filesystem)."""
    cdef shared_ptr[CFileSystem]* held = <shared_ptr[CFileSystem]*>PyCapsule_GetPointer(
        capsule, b"fsspeckit.arrow_filesystem")
    return FileSystem.wrap(held[0])
