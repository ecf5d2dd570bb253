# Theory-engine benchmark (tanh feedforward heatmap, one core): built, not registered as a test.
# Driven by tests/bench/bench_theory.py, which compares it with a numpy implementation.
add_executable(bench_theory ${CMAKE_CURRENT_LIST_DIR}/bench_theory.c)
target_include_directories(bench_theory PRIVATE ${CMAKE_SOURCE_DIR}/src)
target_link_libraries(bench_theory PRIVATE ntksweep_core)
target_compile_options(bench_theory PRIVATE ${NTKSWEEP_WARNINGS})
