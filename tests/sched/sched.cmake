ntk_add_test_exe(test_sched sched/test_sched.c)
foreach(np 1 2 3 4)
  ntk_add_mpi_test(sched.run.np${np} ${np} $<TARGET_FILE:test_sched>)
endforeach()
ntk_add_mpi_test(sched.stop.np2 2 $<TARGET_FILE:test_sched> stop)
ntk_add_mpi_test(sched.stop.np3 3 $<TARGET_FILE:test_sched> stop)

# End-to-end runs of the ntksweep executable (they start mpiexec themselves).
foreach(mode ranks resume refuse)
  add_test(NAME run.e2e.${mode} COMMAND ${CMAKE_CURRENT_LIST_DIR}/e2e.sh $<TARGET_FILE:ntksweep> ${mode})
  set_tests_properties(run.e2e.${mode} PROPERTIES LABELS "mpi;e2e" PROCESSORS 2 TIMEOUT 600)
endforeach()
