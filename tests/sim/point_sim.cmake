add_test(NAME sim.point COMMAND ${CMAKE_CURRENT_LIST_DIR}/test_point_sim.sh $<TARGET_FILE:ntksweep>)
