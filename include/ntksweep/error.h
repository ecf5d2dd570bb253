/* error.h - status codes and error messages shared by every ntksweep module.
 *
 * Convention: functions that can fail return an int status, 0 (NTK_OK) on success and a negative
 * ntk_err code otherwise. The failing function records a human-readable message that names the
 * object (file, YAML key, dataset, grid point) with ntk_error_set(); callers may prepend context
 * with ntk_error_prefix(). The message buffer is thread-local and holds the most recent error.
 * Only main() turns a code into a process exit status (see ntk_exit_code()).
 */
#ifndef NTKSWEEP_ERROR_H
#define NTKSWEEP_ERROR_H

#include <stddef.h>

/* X-macro table: name, value, one-line description. */
#define NTK_ERRNO_MAP(X)                                                                           \
    X(OK, 0, "success")                                                                            \
    X(EINVAL, -1, "invalid argument or parameter")                                                 \
    X(ENOMEM, -2, "out of memory")                                                                 \
    X(EIO, -3, "input/output error")                                                               \
    X(ESPEC, -4, "invalid sweep specification")                                                    \
    X(ENOTSUP, -5, "combination not supported")                                                    \
    X(ENUM, -6, "numerical failure")                                                               \
    X(EMPI, -7, "MPI failure")                                                                     \
    X(EHDF5, -8, "HDF5 failure")                                                                   \
    X(EEXIST, -9, "archive exists and belongs to another sweep")                                   \
    X(EINTR, -10, "interrupted (signal or deadline); resumable")                                   \
    X(EUSAGE, -11, "command-line usage error")

typedef enum {
#define NTK_ERR_ENUM_(name, val, desc) NTK_##name = val,
    NTK_ERRNO_MAP(NTK_ERR_ENUM_)
#undef NTK_ERR_ENUM_
} ntk_err;

/* Process exit codes (documented in README "Exit codes"). */
enum {
    NTK_EXIT_OK = 0,        /* everything requested was computed and written */
    NTK_EXIT_FAILURE = 1,   /* an error; the archive (if any) is left as it was before the run */
    NTK_EXIT_USAGE = 2,     /* bad command line or bad spec: nothing was written */
    NTK_EXIT_RESUMABLE = 75 /* stopped early (SIGTERM, SIGUSR1, --deadline): rerun with --resume */
};

/* Symbolic name of a code ("NTK_EINVAL"); never NULL. */
const char *ntk_err_name(int code);
/* Description of a code; never NULL. */
const char *ntk_strerror(int code);
/* Maps a status code to a process exit status (NTK_EXIT_*). */
int ntk_exit_code(int code);

/* Records a printf-style message for the current thread and returns code (so that
 * `return ntk_error_set(NTK_EINVAL, "...")` reads naturally). */
int ntk_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepends "prefix: " to the current message (for context added by a caller); returns code. */
int ntk_error_prefix(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The current thread's last message ("" if none). The pointer stays valid until the next set. */
const char *ntk_error_msg(void);
/* Clears the message. */
void ntk_error_clear(void);

/* Returns the code after recording the message; for use as `NTK_TRY(f(...));` in functions that
 * return an int status and have nothing to release. */
#define NTK_TRY(expr)                                                                              \
    do {                                                                                           \
        int ntk_rc_ = (expr);                                                                      \
        if (ntk_rc_ < 0)                                                                           \
            return ntk_rc_;                                                                        \
    } while (0)

#endif
