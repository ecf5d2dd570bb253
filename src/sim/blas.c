/* blas.c - identifies the BLAS library (BLAS calls stay in src/sim). */
#include "ntksweep/blas.h"

#include <cblas.h>

const char *ntk_blas_version(void)
{
    return openblas_get_config();
}
