# Arrow C++ comes from the pinned pyarrow wheel (Debian 12 has no libarrow-dev).
# The wheel ships no ArrowConfig.cmake, so ask Python where pyarrow lives and import the
# SONAME-versioned libraries by full path (no symlinks, no writes to site-packages).
# Python is asked only here, at configure time; nothing built links libpython except the
# extension module.
if(NOT Python_EXECUTABLE AND DEFINED ENV{VIRTUAL_ENV})
  set(Python_EXECUTABLE "$ENV{VIRTUAL_ENV}/bin/python")
endif()
find_package(Python 3.11 REQUIRED COMPONENTS Interpreter)

execute_process(
  COMMAND "${Python_EXECUTABLE}" -c
    "import os, pyarrow as pa; print(pa.__version__); print(pa.get_include()); print(os.path.dirname(pa.__file__))"
  OUTPUT_VARIABLE _fsspeckit_pa OUTPUT_STRIP_TRAILING_WHITESPACE
  RESULT_VARIABLE _fsspeckit_pa_rc)
if(NOT _fsspeckit_pa_rc EQUAL 0)
  message(FATAL_ERROR "pyarrow is not importable by ${Python_EXECUTABLE}: "
                      "run 'pip install pyarrow==26.0.*' in that environment (make does this)")
endif()
string(REPLACE "\n" ";" _fsspeckit_pa "${_fsspeckit_pa}")
list(GET _fsspeckit_pa 0 PYARROW_VERSION)
list(GET _fsspeckit_pa 1 PYARROW_INCLUDE_DIR)
list(GET _fsspeckit_pa 2 PYARROW_DIR)
string(REGEX MATCH "^([0-9]+)\\.([0-9]+)" _m "${PYARROW_VERSION}")
math(EXPR ARROW_SO_VERSION "${CMAKE_MATCH_1} * 100 + ${CMAKE_MATCH_2}")   # 26.0.1 -> 2600
message(STATUS "Arrow C++ from pyarrow ${PYARROW_VERSION} in ${PYARROW_DIR}")

function(fsspeckit_import_pyarrow_lib target name)
  set(lib "${PYARROW_DIR}/lib${name}.so.${ARROW_SO_VERSION}")
  if(NOT EXISTS "${lib}")
    message(FATAL_ERROR "missing ${lib} (pyarrow ${PYARROW_VERSION})")
  endif()
  add_library(${target} SHARED IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION "${lib}"
    IMPORTED_SONAME "lib${name}.so.${ARROW_SO_VERSION}"
    INTERFACE_INCLUDE_DIRECTORIES "${PYARROW_INCLUDE_DIR}"
    INTERFACE_COMPILE_FEATURES cxx_std_20)
endfunction()

fsspeckit_import_pyarrow_lib(PyArrow::arrow arrow)
fsspeckit_import_pyarrow_lib(PyArrow::arrow_compute arrow_compute)
fsspeckit_import_pyarrow_lib(PyArrow::arrow_acero arrow_acero)
fsspeckit_import_pyarrow_lib(PyArrow::arrow_dataset arrow_dataset)
fsspeckit_import_pyarrow_lib(PyArrow::parquet parquet)
# S3 lives in its own library since Arrow 22; linking it registers s3:// with
# arrow::fs::FileSystemFromUri (the native CLI needs it; Python loads it with pyarrow.fs).
fsspeckit_import_pyarrow_lib(PyArrow::arrow_s3 arrow_s3)
