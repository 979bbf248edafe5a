# Fails when a library folder includes a header of a folder above it (or beside it without being
# allowed to), or a header of Qt, DCMTK or OpenCV outside the folders that own those. Run by CTest as `cmake -DSOURCE_DIR=... -P check_layering.cmake`; also at configure
# time, so a wrong include stops the build before it compiles.
#
# The direction, bottom to top:
#   core -> (io, phantom, report) -> data -> evaluation -> training
#   core -> (io, report) -> session -> ui -> app
#   core -> io -> pacs -> session
# Each folder lists every folder whose headers it may include (not only its direct neighbours).
set(allowed_core "")
set(allowed_io core)
set(allowed_phantom core)
set(allowed_report core)
set(allowed_pacs core io)
set(allowed_data core io phantom report)
set(allowed_evaluation core io phantom report data)
set(allowed_training core io phantom report data evaluation)
set(allowed_session core io report pacs)
set(allowed_ui core io report pacs session)
set(layers core io pacs phantom report data evaluation training session ui)

# Other projects' headers a folder may include, by the first part of the path (<dcmtk/...>) or, for
# Qt, by its class-name headers (<QWidget>). The engine knows nothing of Qt, files or DICOM.
set(foreign_dcmtk io pacs)
set(foreign_opencv2 io report)
set(foreign_qt ui)

if(NOT SOURCE_DIR)
  message(FATAL_ERROR "check_layering: pass -DSOURCE_DIR=<the project's root>")
endif()

# Which folder each of our headers lives in (app/ and tests/ own none that others may use).
set(owners "")
foreach(layer IN LISTS layers ITEMS app)
  file(GLOB_RECURSE headers RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/${layer}/*.h")
  foreach(header IN LISTS headers)
    get_filename_component(name "${header}" NAME)
    if(DEFINED owner_${name})
      list(APPEND duplicates "${name} (${owner_${name}} and ${layer})")
    endif()
    set(owner_${name} ${layer})
  endforeach()
endforeach()
if(duplicates)
  message(FATAL_ERROR "check_layering: header names must be unique across folders: ${duplicates}")
endif()

set(violations "")
foreach(layer IN LISTS layers)
  file(GLOB_RECURSE sources RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/${layer}/*.h"
       "${SOURCE_DIR}/${layer}/*.cpp")
  foreach(source IN LISTS sources)
    file(STRINGS "${SOURCE_DIR}/${source}" foreign REGEX "^[ \t]*#[ \t]*include[ \t]*<")
    foreach(line IN LISTS foreign)
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*<([^>/]+).*" "\\1" root "${line}")
      if(root MATCHES "^Q")
        set(root qt)
      endif()
      if(DEFINED foreign_${root})
        list(FIND foreign_${root} ${layer} found)
        if(found EQUAL -1)
          list(JOIN foreign_${root} ", " users)
          list(APPEND violations "${source} includes <${root}/...>, which only ${users} may use")
        endif()
      endif()
    endforeach()
    file(STRINGS "${SOURCE_DIR}/${source}" includes REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
    foreach(line IN LISTS includes)
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*" "\\1" included "${line}")
      get_filename_component(name "${included}" NAME)
      if(NOT DEFINED owner_${name})
        continue()  # a generated file (moc) or a header of another project
      endif()
      set(owner ${owner_${name}})
      if(owner STREQUAL layer)
        continue()
      endif()
      list(FIND allowed_${layer} ${owner} found)
      if(found EQUAL -1)
        list(APPEND violations "${source} includes ${owner}/${name}")
      endif()
    endforeach()
  endforeach()
endforeach()

if(violations)
  list(JOIN violations "\n  " text)
  message(FATAL_ERROR "check_layering: these includes break the layering:\n  "
                      "${text}\n(the direction is in tests/check_layering.cmake and the README)")
endif()
message(STATUS "check_layering: every include follows the layering")
