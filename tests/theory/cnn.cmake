# cnn1d in the theory engine (seed-001 1.3, 2.6): Assumption-1 equivalence with the FFNN and the
# seed-001 5.3/5.4 goldens, self-averaging rates, an independent brute-force evaluation, layer
# sums and errors, and finite-width Monte Carlo.
ntk_add_test_exe(test_theory_cnn ${CMAKE_CURRENT_LIST_DIR}/test_theory_cnn.c)
add_test(NAME theory.cnn_ffnn COMMAND test_theory_cnn ffnn)
add_test(NAME theory.cnn_selfavg COMMAND test_theory_cnn selfavg)
add_test(NAME theory.cnn_brute COMMAND test_theory_cnn brute)
add_test(NAME theory.cnn_layersum COMMAND test_theory_cnn layersum)
add_test(NAME theory.cnn_mc COMMAND test_theory_cnn mc)
