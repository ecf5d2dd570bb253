# Theory-engine tests: golden tables of the spec notes (one executable per seed), closed forms and
# invariances, and the `ntksweep point` command.
ntk_add_test_exe(test_theory_seed000 ${CMAKE_CURRENT_LIST_DIR}/test_theory_seed000.c)
add_test(NAME theory.seed000 COMMAND test_theory_seed000)
ntk_add_test_exe(test_theory_seed001 ${CMAKE_CURRENT_LIST_DIR}/test_theory_seed001.c)
add_test(NAME theory.seed001 COMMAND test_theory_seed001)
ntk_add_test_exe(test_theory_seed002 ${CMAKE_CURRENT_LIST_DIR}/test_theory_seed002.c)
add_test(NAME theory.seed002 COMMAND test_theory_seed002)
ntk_add_test_exe(test_theory_seed003 ${CMAKE_CURRENT_LIST_DIR}/test_theory_seed003.c)
add_test(NAME theory.seed003 COMMAND test_theory_seed003)
ntk_add_test_exe(test_theory_seed004 ${CMAKE_CURRENT_LIST_DIR}/test_theory_seed004.c)
add_test(NAME theory.seed004 COMMAND test_theory_seed004)
ntk_add_test_exe(test_theory_identities ${CMAKE_CURRENT_LIST_DIR}/test_theory_identities.c)
add_test(NAME theory.identities COMMAND test_theory_identities)
