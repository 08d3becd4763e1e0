# One compile-fail check (run by ctest, see CMakeLists.txt):
#
#   cmake -DSOURCE=file.cpp -P expect_compile_error.cmake -- COMPILER FLAGS...
#
# 1. SOURCE compiled with -DCOMPILE_FAIL_CONTROL (the mistake corrected) must compile: the
#    failure in step 2 is then due to the mistake, not to a typo or a missing include.
# 2. SOURCE compiled as is must fail, and the compiler's output must contain every sentence
#    given on a "// expect: SENTENCE" line of SOURCE (the library's static_assert message).
# 3. ...with at most 1 "error:" in the output (or N, from a "// max-errors: N" line of SOURCE): the
#    sentence must be the diagnostic, not the first of a pile of errors from inside the library.
#
# ctest's WILL_FAIL cannot express "fails AND prints this": with PASS_REGULAR_EXPRESSION set, the
# exit status is ignored and WILL_FAIL inverts the match, so both checks are made here.
if(NOT SOURCE)
  message(FATAL_ERROR "usage: cmake -DSOURCE=file.cpp -P expect_compile_error.cmake -- COMPILER FLAGS...")
endif()
set(compiler_cmd "")
set(after_separator FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE 0 ${last})
  if(after_separator)
    list(APPEND compiler_cmd "${CMAKE_ARGV${i}}")
  elseif("${CMAKE_ARGV${i}}" STREQUAL "--")
    set(after_separator TRUE)
  endif()
endforeach()
if(NOT compiler_cmd)
  message(FATAL_ERROR "no compiler command after --")
endif()

file(STRINGS "${SOURCE}" expect_lines REGEX "^// expect: ")
if(NOT expect_lines)
  message(FATAL_ERROR "${SOURCE} has no \"// expect: SENTENCE\" line")
endif()
set(max_errors 1)
file(STRINGS "${SOURCE}" max_errors_line REGEX "^// max-errors: [0-9]+$")
if(max_errors_line)
  string(REGEX REPLACE "^// max-errors: " "" max_errors "${max_errors_line}")
endif()

execute_process(COMMAND ${compiler_cmd} -DCOMPILE_FAIL_CONTROL "${SOURCE}"
                RESULT_VARIABLE control_rc OUTPUT_VARIABLE control_out ERROR_VARIABLE control_out)
if(NOT control_rc EQUAL 0)
  message(FATAL_ERROR "the corrected program (-DCOMPILE_FAIL_CONTROL) does not compile either, so the test "
                      "proves nothing:\n${control_out}")
endif()

execute_process(COMMAND ${compiler_cmd} "${SOURCE}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but the library should have rejected it")
endif()
set(missing "")
foreach(line IN LISTS expect_lines)
  string(REGEX REPLACE "^// expect: " "" sentence "${line}")
  string(FIND "${out}" "${sentence}" at)
  if(at EQUAL -1)
    string(APPEND missing "  ${sentence}\n")
  endif()
endforeach()
if(missing)
  message(FATAL_ERROR "the compiler rejected ${SOURCE}, but its output lacks:\n${missing}output:\n${out}")
endif()
string(REGEX MATCHALL "error:" errors "${out}")
list(LENGTH errors n_errors)
if(n_errors GREATER max_errors)
  message(FATAL_ERROR "the compiler rejected ${SOURCE} with the expected diagnostic, but with ${n_errors} errors "
                      "where at most ${max_errors} may appear (follow-on errors from inside the library?):\n${out}")
endif()
message(STATUS "rejected as expected, with the expected diagnostic (${n_errors} error lines in all)")
