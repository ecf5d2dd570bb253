# Sweep specification tests (src/spec, src/cli/validate.c).
ntk_add_test_exe(test_spec ${CMAKE_CURRENT_LIST_DIR}/test_spec.c)
add_test(NAME spec.parse COMMAND test_spec)

ntk_add_test_exe(test_spec_errors ${CMAKE_CURRENT_LIST_DIR}/test_spec_errors.c)
add_test(NAME spec.errors COMMAND test_spec_errors)

ntk_add_test_exe(test_spec_fuzz ${CMAKE_CURRENT_LIST_DIR}/test_spec_fuzz.c)
add_test(NAME spec.fuzz COMMAND test_spec_fuzz ${CMAKE_SOURCE_DIR}/sweeps)

# Every example sweep validates; a broken spec exits with status 2.
file(GLOB _ntk_sweeps CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/sweeps/*.yaml)
foreach(_f ${_ntk_sweeps})
  get_filename_component(_n ${_f} NAME_WE)
  add_test(NAME spec.validate.${_n} COMMAND ntksweep validate -q ${_f})
endforeach()
add_test(NAME spec.validate_exit_status
         COMMAND sh -c "printf 'name: x\\nmodel: {depth: 0}\\n' > bad_spec.yaml; \"$0\" validate bad_spec.yaml 2> bad_spec.err; s=$?; grep -q \"bad_spec.yaml:2:16: key 'model.depth': expected a positive integer, got '0'\" bad_spec.err && test $s -eq 2"
                 $<TARGET_FILE:ntksweep>)
