# End-to-end runs keeping per-sample values (sim.keep_samples): rank counts, kills and resumes,
# partial and disabled keeping (they start mpiexec themselves).
foreach(mode ranks resume keep)
  add_test(NAME run.e2e_samples.${mode}
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/e2e_samples.sh $<TARGET_FILE:ntksweep> ${mode})
  set_tests_properties(run.e2e_samples.${mode} PROPERTIES LABELS "mpi;e2e" PROCESSORS 2 TIMEOUT 600)
endforeach()
