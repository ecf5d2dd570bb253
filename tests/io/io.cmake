# Archive (src/io) tests: collective writes on 1-4 ranks (a rank with no points included),
# contents bit for bit across rank counts and storage settings, netCDF-4 / xarray readers,
# refusals, SIGKILL + resume, rebuild of damaged files, info summary and the heatmap script.
ntk_add_test_exe(test_archive io/test_archive.c)
set(_io_out ${CMAKE_CURRENT_BINARY_DIR}/io)
file(MAKE_DIRECTORY ${_io_out})
set(_io_env "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1;PRTE_MCA_rmaps_default_mapping_policy=:oversubscribe")

# test_archive write PATH CHUNK_POINTS DEFLATE FLETCHER32 EPOCH
foreach(np 1 2 3 4)
  # automatic chunks (one chunk shared by every rank), shuffle+deflate 4, Fletcher-32
  ntk_add_mpi_test(io.write.np${np} ${np} $<TARGET_FILE:test_archive> write
                   ${_io_out}/write_np${np}.h5 0 4 1 3)
  # one point per chunk, no filters (unfiltered collective writes)
  ntk_add_mpi_test(io.write_plain.np${np} ${np} $<TARGET_FILE:test_archive> write
                   ${_io_out}/plain_np${np}.h5 1 0 0 2)
  set_tests_properties(io.write.np${np} io.write_plain.np${np} PROPERTIES FIXTURES_SETUP io_archives)
endforeach()
ntk_add_mpi_test(io.write_chunk3.np3 3 $<TARGET_FILE:test_archive> write
                 ${_io_out}/chunk3_np3.h5 3 9 1 5)
set_tests_properties(io.write_chunk3.np3 PROPERTIES FIXTURES_SETUP io_archives)

# Resume on another number of ranks: 3 ranks stop at 60 %, 2 ranks finish; 4 ranks stop at
# 30 %, the HDF5 file is lost, 3 ranks rebuild it from the 4 journals and finish.
ntk_add_mpi_test(io.partial.np3 3 $<TARGET_FILE:test_archive> partial ${_io_out}/ranks_3to2.h5 60)
ntk_add_mpi_test(io.finish.np2 2 $<TARGET_FILE:test_archive> finish ${_io_out}/ranks_3to2.h5)
ntk_add_mpi_test(io.partial.np4 4 $<TARGET_FILE:test_archive> partial ${_io_out}/ranks_4to3.h5 30)
ntk_add_mpi_test(io.rebuild.np3 3 $<TARGET_FILE:test_archive> finish ${_io_out}/ranks_4to3.h5 rebuild)
set_tests_properties(io.partial.np3 PROPERTIES FIXTURES_SETUP io_part32)
set_tests_properties(io.finish.np2 PROPERTIES FIXTURES_REQUIRED io_part32 FIXTURES_SETUP io_archives)
set_tests_properties(io.partial.np4 PROPERTIES FIXTURES_SETUP io_part43)
set_tests_properties(io.rebuild.np3 PROPERTIES FIXTURES_REQUIRED io_part43 FIXTURES_SETUP io_archives)

ntk_add_mpi_test(io.api.np1 1 $<TARGET_FILE:test_archive> api ${_io_out}/api1)
ntk_add_mpi_test(io.api.np3 3 $<TARGET_FILE:test_archive> api ${_io_out}/api3)
file(MAKE_DIRECTORY ${_io_out}/api1 ${_io_out}/api3 ${_io_out}/kill)

# Writers killed with SIGKILL at random moments (singleton MPI processes, no mpiexec).
add_test(NAME io.kill COMMAND test_archive kill ${_io_out}/kill)
set_tests_properties(io.kill PROPERTIES ENVIRONMENT "${_io_env}" FIXTURES_SETUP io_archives)

if(Python3_Interpreter_FOUND)
  add_test(NAME io.compare_ranks
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/io/compare_archives.py
                   ${_io_out}/write_np1.h5 ${_io_out}/write_np2.h5 ${_io_out}/write_np3.h5
                   ${_io_out}/write_np4.h5 ${_io_out}/plain_np1.h5 ${_io_out}/plain_np2.h5
                   ${_io_out}/plain_np3.h5 ${_io_out}/plain_np4.h5 ${_io_out}/chunk3_np3.h5
                   ${_io_out}/kill/kill.h5 ${_io_out}/kill/kill_ref.h5 ${_io_out}/ranks_3to2.h5
                   ${_io_out}/ranks_4to3.h5)
  add_test(NAME io.readers
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/io/test_readers.py
                   ${_io_out}/write_np3.h5 ${_io_out}/readers)
  set_tests_properties(io.compare_ranks io.readers PROPERTIES FIXTURES_REQUIRED io_archives)
  set_tests_properties(io.readers PROPERTIES ENVIRONMENT "MPLBACKEND=Agg")
endif()

# The command line: `ntksweep info` on a finished archive.
add_test(NAME io.cli_info COMMAND ntksweep info ${_io_out}/write_np2.h5)
set_tests_properties(io.cli_info PROPERTIES FIXTURES_REQUIRED io_archives
  PASS_REGULAR_EXPRESSION "completion +complete.*points: 49 done, 0 pending, 1 failed")
add_test(NAME io.cli_info_missing COMMAND ntksweep info ${_io_out}/no_such_archive.h5)
set_tests_properties(io.cli_info_missing PROPERTIES PASS_REGULAR_EXPRESSION "ntksweep info: cannot read archive")
