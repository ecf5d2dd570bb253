# Benchmarks are built but not registered as tests (they measure, they do not assert).
add_executable(bench_sched ${CMAKE_CURRENT_LIST_DIR}/bench_sched.c)
target_link_libraries(bench_sched PRIVATE ntksweep_core)
target_compile_options(bench_sched PRIVATE ${NTKSWEEP_WARNINGS})
