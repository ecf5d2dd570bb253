# Simulator tests (CTest names sim.*): RNG, engines, statistics, theory agreement.
ntk_add_test_exe(test_sim_rng tests/sim/test_rng.c)
add_test(NAME sim.rng COMMAND test_sim_rng)
set_tests_properties(sim.rng PROPERTIES TIMEOUT 60 ENVIRONMENT "OPENBLAS_NUM_THREADS=1")

# Benchmark driver (measures, does not assert; not a test): tests/bench/bench_sim.py runs it.
add_executable(bench_sim ${CMAKE_SOURCE_DIR}/tests/bench/bench_sim.c)
target_link_libraries(bench_sim PRIVATE ntksweep_core)
target_compile_options(bench_sim PRIVATE ${NTKSWEEP_WARNINGS})
