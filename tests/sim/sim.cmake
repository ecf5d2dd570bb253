# Simulator tests (CTest names sim.*): RNG, engines, statistics, theory agreement.
ntk_add_test_exe(test_sim_rng tests/sim/test_rng.c)
add_test(NAME sim.rng COMMAND test_sim_rng)
set_tests_properties(sim.rng PROPERTIES TIMEOUT 60 ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
