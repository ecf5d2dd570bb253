/* blas.h - the BLAS library ntksweep runs on (OpenBLAS), for provenance and determinism. */
#ifndef NTKSWEEP_BLAS_H
#define NTKSWEEP_BLAS_H

/* OpenBLAS' configuration string (version, target core, threading); static storage. */
const char *ntk_blas_version(void);

#endif
