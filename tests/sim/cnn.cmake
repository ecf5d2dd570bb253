# Simulator on cnn1d (CTest names sim.cnn_*): exact per-sample properties, dense vs conditional
# engine, large-width agreement with the theory engine, and the spatially-constant = ff limit.
ntk_add_test_exe(test_sim_cnn ${CMAKE_CURRENT_LIST_DIR}/test_sim_cnn.c)
add_test(NAME sim.cnn_exact COMMAND test_sim_cnn exact)
add_test(NAME sim.cnn_engines COMMAND test_sim_cnn engines)
add_test(NAME sim.cnn_theory COMMAND test_sim_cnn theory)
add_test(NAME sim.cnn_ff COMMAND test_sim_cnn ff)
set_tests_properties(sim.cnn_exact sim.cnn_engines sim.cnn_theory sim.cnn_ff
                     PROPERTIES TIMEOUT 120 ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
