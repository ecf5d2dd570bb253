/* error.c - status codes and the thread-local error message buffer (see error.h). */
#include "ntksweep/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NTK_ERR_MSG_MAX 2048
static _Thread_local char ntk_err_msg_[NTK_ERR_MSG_MAX];

const char *ntk_err_name(int code)
{
    switch (code) {
#define NTK_ERR_NAME_(name, val, desc)                                                             \
    case val:                                                                                      \
        return "NTK_" #name;
        NTK_ERRNO_MAP(NTK_ERR_NAME_)
#undef NTK_ERR_NAME_
    }
    return "NTK_UNKNOWN";
}

const char *ntk_strerror(int code)
{
    switch (code) {
#define NTK_ERR_DESC_(name, val, desc)                                                             \
    case val:                                                                                      \
        return desc;
        NTK_ERRNO_MAP(NTK_ERR_DESC_)
#undef NTK_ERR_DESC_
    }
    return "unknown error";
}

int ntk_exit_code(int code)
{
    switch (code) {
    case NTK_OK:
        return NTK_EXIT_OK;
    case NTK_EINTR:
        return NTK_EXIT_RESUMABLE;
    case NTK_ESPEC:
    case NTK_EUSAGE:
    case NTK_EEXIST:
        return NTK_EXIT_USAGE;
    default:
        return NTK_EXIT_FAILURE;
    }
}

int ntk_error_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ntk_err_msg_, sizeof ntk_err_msg_, fmt, ap);
    va_end(ap);
    return code;
}

int ntk_error_prefix(int code, const char *fmt, ...)
{
    char prefix[NTK_ERR_MSG_MAX], old[NTK_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, ntk_err_msg_, sizeof old);
    snprintf(ntk_err_msg_, sizeof ntk_err_msg_, "%.1000s: %.1000s", prefix, old);
    return code;
}

const char *ntk_error_msg(void)
{
    return ntk_err_msg_;
}

void ntk_error_clear(void)
{
    ntk_err_msg_[0] = '\0';
}
