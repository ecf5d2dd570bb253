# cnn1d in sweep specs (src/spec) and in `ntksweep point` (src/cli/point.c): parameters, virtual
# inputs and their Gram matrices, errors, point keys; the point command against ff.
ntk_add_test_exe(test_spec_cnn ${CMAKE_CURRENT_LIST_DIR}/test_spec_cnn.c)
add_test(NAME spec.cnn_parse COMMAND test_spec_cnn parse)
add_test(NAME spec.cnn_gram COMMAND test_spec_cnn gram)
add_test(NAME spec.cnn_errors COMMAND test_spec_cnn errors)
add_test(NAME spec.cnn_keys COMMAND test_spec_cnn keys)
add_test(NAME spec.point_cnn COMMAND ${CMAKE_CURRENT_LIST_DIR}/test_point_cnn.sh $<TARGET_FILE:ntksweep>)
