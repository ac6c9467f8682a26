# What `cmake --install` puts under the prefix for C++ users:
#   include/fsspeckit/...              the public headers (cpp/include; internals stay in src/)
#   lib/libfsspeckit_<area>.a          one static library per area
#   bin/fsspeckit                      the native command
#   lib/cmake/fsspeckit/               the package: find_package(fsspeckit) then
#                                      target_link_libraries(app PRIVATE fsspeckit::fsspeckit)
# Arrow C++ is not installed: the package finds it where the build did, in the pyarrow wheel
# (PyArrow.cmake is installed beside the config and asks Python, as the build does).
#
# Inside a wheel build (scikit-build-core) these rules are excluded from the default
# install, so the wheel holds only the Python package; `cmake --install <build> --component
# fsspeckit_sdk --prefix <dir>` still installs them from the same build (make test does).
include(CMakePackageConfigHelpers)

set(_fsspeckit_libraries fsspeckit fsspeckit_cli fsspeckit_maintenance fsspeckit_merge fsspeckit_io fsspeckit_scan
                         fsspeckit_perf fsspeckit_memory fsspeckit_log)
set(_fsspeckit_exclude "")
if(SKBUILD)
  set(_fsspeckit_exclude EXCLUDE_FROM_ALL)
endif()
set(_fsspeckit_cmake_dir "${CMAKE_INSTALL_LIBDIR}/cmake/fsspeckit")

install(TARGETS ${_fsspeckit_libraries} EXPORT fsspeckitTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT fsspeckit_sdk ${_fsspeckit_exclude})
install(TARGETS fsspeckit_cli_main RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}"
        COMPONENT fsspeckit_sdk ${_fsspeckit_exclude})
install(DIRECTORY "${FSSPECKIT_INCLUDE_DIR}/fsspeckit" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        COMPONENT fsspeckit_sdk ${_fsspeckit_exclude} FILES_MATCHING PATTERN "*.h")
install(EXPORT fsspeckitTargets NAMESPACE fsspeckit:: DESTINATION "${_fsspeckit_cmake_dir}"
        COMPONENT fsspeckit_sdk ${_fsspeckit_exclude})

# The interpreter whose pyarrow the library was built against, as the default for users.
set(FSSPECKIT_BUILD_PYTHON "${Python_EXECUTABLE}")
configure_package_config_file("${CMAKE_CURRENT_LIST_DIR}/fsspeckitConfig.cmake.in"
                              "${CMAKE_CURRENT_BINARY_DIR}/fsspeckitConfig.cmake"
                              INSTALL_DESTINATION "${_fsspeckit_cmake_dir}")
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/fsspeckitConfigVersion.cmake"
                                 COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/fsspeckitConfig.cmake"
              "${CMAKE_CURRENT_BINARY_DIR}/fsspeckitConfigVersion.cmake"
              "${CMAKE_CURRENT_LIST_DIR}/PyArrow.cmake"
        DESTINATION "${_fsspeckit_cmake_dir}" COMPONENT fsspeckit_sdk ${_fsspeckit_exclude})
