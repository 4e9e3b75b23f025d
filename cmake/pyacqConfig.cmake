# CMake package of libpyacq (installed by `make install` into <prefix>/lib/cmake/pyacq).
#
#   find_package(pyacq 0.1 CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE pyacq::pyacq)
#
# Provides the imported target pyacq::pyacq (the shared library libpyacq.so.<ABI> plus the
# directory of pyacq.h) and the variables pyacq_INCLUDE_DIR and pyacq_LIBRARY. The library
# carries the Swift runtime inside it and links libzmq / libblosc dynamically, so consumers
# need no other package. The install tree is relocatable: paths are computed from this file.

cmake_minimum_required(VERSION 3.10)

# <prefix>/lib/cmake/pyacq/pyacqConfig.cmake -> <prefix>
get_filename_component(_pyacq_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)

set(_pyacq_soname "libpyacq.so.0")
set(_pyacq_include_dir "${_pyacq_prefix}/include")
# The real file (libpyacq.so.<version>) when find_package knows the version, else the soname link.
if(DEFINED pyacq_VERSION AND EXISTS "${_pyacq_prefix}/lib/libpyacq.so.${pyacq_VERSION}")
  set(_pyacq_library "${_pyacq_prefix}/lib/libpyacq.so.${pyacq_VERSION}")
else()
  set(_pyacq_library "${_pyacq_prefix}/lib/${_pyacq_soname}")
endif()

set(_pyacq_missing "")
foreach(_pyacq_file IN ITEMS "${_pyacq_include_dir}/pyacq.h" "${_pyacq_library}")
  if(NOT EXISTS "${_pyacq_file}")
    list(APPEND _pyacq_missing "${_pyacq_file}")
  endif()
endforeach()

if(_pyacq_missing)
  set(pyacq_FOUND FALSE)
  set(pyacq_NOT_FOUND_MESSAGE "pyacq package at ${_pyacq_prefix} is incomplete; missing: ${_pyacq_missing}")
else()
  if(NOT TARGET pyacq::pyacq)
    add_library(pyacq::pyacq SHARED IMPORTED)
    set_target_properties(pyacq::pyacq PROPERTIES
      IMPORTED_LOCATION "${_pyacq_library}"
      IMPORTED_SONAME "${_pyacq_soname}"
      INTERFACE_INCLUDE_DIRECTORIES "${_pyacq_include_dir}")
  endif()
  set(pyacq_INCLUDE_DIR "${_pyacq_include_dir}")
  set(pyacq_LIBRARY "${_pyacq_library}")
  set(pyacq_FOUND TRUE)
endif()

unset(_pyacq_prefix)
unset(_pyacq_soname)
unset(_pyacq_include_dir)
unset(_pyacq_library)
unset(_pyacq_missing)
unset(_pyacq_file)
