# Fails when a header under ${ROOT}/kafka includes a header of a higher layer.
#   cmake -DROOT=<dir containing kafka/> -P check_layers.cmake
#
# The layers, lowest first (DESIGN.md draws them). A header may include headers of its own layer
# and of the layers below it, never above. A header in no layer is an error too, so that a new
# folder gets a place in this table instead of slipping past the check.
set(layer_names base protocol client policy consumer testing face)
function(layer_of rel out)
  if(rel MATCHES "^(error|topic_partition|config_enums|exceptions|rebalance_listener|metrics|share_types)\\.hpp$")
    set(${out} 0 PARENT_SCOPE)   # base: error codes, exceptions, plain value types
  elseif(rel MATCHES "^protocol/")
    set(${out} 1 PARENT_SCOPE)   # bytes only, no I/O
  elseif(rel MATCHES "^client/")
    set(${out} 2 PARENT_SCOPE)   # connections and cluster state
  elseif(rel MATCHES "^policy/" OR rel STREQUAL "record.hpp")
    set(${out} 3 PARENT_SCOPE)   # the shipped policies and the record types they produce
  elseif(rel MATCHES "^consumer/")
    set(${out} 4 PARENT_SCOPE)   # the engine's state machines
  elseif(rel MATCHES "^testing/")
    set(${out} 5 PARENT_SCOPE)   # test doubles over the transport
  elseif(rel MATCHES "^(consumer|share_consumer|consumer_types|config|async)\\.hpp$" OR rel MATCHES "^(impl|detail)/")
    set(${out} 6 PARENT_SCOPE)   # the public face and its machinery
  else()
    set(${out} -1 PARENT_SCOPE)
  endif()
endfunction()

if(NOT ROOT)
  message(FATAL_ERROR "usage: cmake -DROOT=<include dir> -P check_layers.cmake")
endif()
get_filename_component(ROOT "${ROOT}" ABSOLUTE)
file(GLOB_RECURSE headers RELATIVE ${ROOT}/kafka ${ROOT}/kafka/*.hpp)
if(NOT headers)
  message(FATAL_ERROR "no headers under ${ROOT}/kafka")
endif()
set(problems "")
foreach(h IN LISTS headers)
  layer_of(${h} mine)
  if(mine EQUAL -1)
    string(APPEND problems "  kafka/${h} belongs to no layer (add it to tests/layers/check_layers.cmake)\n")
    continue()
  endif()
  file(STRINGS ${ROOT}/kafka/${h} lines REGEX "^[ \t]*#[ \t]*include[ \t]*<kafka/")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*<kafka/([^>]+)>.*$" "\\1" inc "${line}")
    layer_of(${inc} theirs)
    if(theirs GREATER mine)
      list(GET layer_names ${mine} a)
      list(GET layer_names ${theirs} b)
      string(APPEND problems "  kafka/${h} (${a}) includes kafka/${inc} (${b}): a lower layer must not include a higher one\n")
    endif()
  endforeach()
endforeach()
list(LENGTH headers n)
if(problems)
  message(FATAL_ERROR "layering violations:\n${problems}")
endif()
message(STATUS "${n} headers, no include from a lower layer to a higher one")
