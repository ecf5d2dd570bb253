/* h5util.c - thin typed HDF5 helpers for the archive (see h5util.h). */
#include "io/h5util.h"

#include "ntksweep/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ntk_h5_quiet(ntk_h5_quiet_state *s)
{
    H5Eget_auto2(H5E_DEFAULT, &s->fn, &s->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void ntk_h5_loud(const ntk_h5_quiet_state *s)
{
    H5Eset_auto2(H5E_DEFAULT, s->fn, s->data);
}

/* Keeps the description of the most specific error (walked innermost first). */
static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    if (n == 0 && e->desc)
        snprintf((char *)data, 256, "%s (in %s)", e->desc, e->func_name ? e->func_name : "?");
    return 0;
}

int ntk_h5_fail(const char *fmt, ...)
{
    char what[1024], detail[256] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_cb, detail);
    H5Eclear2(H5E_DEFAULT);
    if (detail[0]) return ntk_error_set(NTK_EHDF5, "%s: %s", what, detail);
    return ntk_error_set(NTK_EHDF5, "%s", what);
}

hid_t ntk_h5_gcpl(void)
{
    hid_t p = H5Pcreate(H5P_GROUP_CREATE);
    if (p < 0) return p;
    if (H5Pset_link_creation_order(p, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
        H5Pset_attr_creation_order(p, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0) {
        H5Pclose(p);
        return -1;
    }
    return p;
}

/* Creates (replacing) attribute name of type t over a space, writes buf. */
static int attr_write(hid_t loc, const char *name, hid_t t, hid_t space, const void *buf)
{
    htri_t ex = H5Aexists(loc, name);
    if (ex < 0) return ntk_h5_fail("attribute '%s'", name);
    if (ex > 0 && H5Adelete(loc, name) < 0)
        return ntk_h5_fail("cannot replace attribute '%s'", name);
    hid_t a = H5Acreate2(loc, name, t, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return ntk_h5_fail("cannot create attribute '%s'", name);
    int rc = 0;
    if (H5Awrite(a, t, buf) < 0) rc = ntk_h5_fail("cannot write attribute '%s'", name);
    H5Aclose(a);
    return rc;
}

int ntk_h5_attr_str(hid_t loc, const char *name, const char *value)
{
    if (!value) value = "";
    /* Fixed-length, NUL-terminated: netCDF-4 reads it as a text (NC_CHAR) attribute. */
    hid_t t = H5Tcopy(H5T_C_S1);
    hid_t s = H5Screate(H5S_SCALAR);
    int rc;
    if (t < 0 || s < 0 || H5Tset_size(t, strlen(value) + 1) < 0 ||
        H5Tset_strpad(t, H5T_STR_NULLTERM) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)
        rc = ntk_h5_fail("cannot make string type for attribute '%s'", name);
    else
        rc = attr_write(loc, name, t, s, value);
    if (s >= 0) H5Sclose(s);
    if (t >= 0) H5Tclose(t);
    return rc;
}

int ntk_h5_attr_i64(hid_t loc, const char *name, int64_t value)
{
    hid_t s = H5Screate(H5S_SCALAR);
    if (s < 0) return ntk_h5_fail("attribute '%s'", name);
    int rc = attr_write(loc, name, H5T_NATIVE_INT64, s, &value);
    H5Sclose(s);
    return rc;
}

int ntk_h5_attr_f64(hid_t loc, const char *name, double value)
{
    hid_t s = H5Screate(H5S_SCALAR);
    if (s < 0) return ntk_h5_fail("attribute '%s'", name);
    int rc = attr_write(loc, name, H5T_NATIVE_DOUBLE, s, &value);
    H5Sclose(s);
    return rc;
}

int ntk_h5_attr_u8v(hid_t loc, const char *name, const unsigned char *v, int n)
{
    hsize_t d = (hsize_t)n;
    hid_t s = H5Screate_simple(1, &d, NULL);
    if (s < 0) return ntk_h5_fail("attribute '%s'", name);
    int rc = attr_write(loc, name, H5T_NATIVE_UINT8, s, v);
    H5Sclose(s);
    return rc;
}

int ntk_h5_attr_read_str(hid_t loc, const char *name, char **out)
{
    *out = NULL;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return ntk_h5_fail("cannot open attribute '%s'", name);
    hid_t ft = H5Aget_type(a);
    int rc = 0;
    if (ft < 0 || H5Tget_class(ft) != H5T_STRING) {
        rc = ntk_h5_fail("attribute '%s' is not a string", name);
    } else if (H5Tis_variable_str(ft) > 0) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        char *v = NULL;
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(ft)); /* no conversion between character sets */
        if (H5Aread(a, mt, &v) < 0)
            rc = ntk_h5_fail("cannot read attribute '%s'", name);
        else {
            *out = strdup(v ? v : "");
            H5free_memory(v);
        }
        H5Tclose(mt);
    } else {
        size_t n = H5Tget_size(ft);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, n + 1);
        H5Tset_strpad(mt, H5T_STR_NULLTERM);
        H5Tset_cset(mt, H5Tget_cset(ft));
        char *v = calloc(n + 2, 1);
        if (!v)
            rc = ntk_error_set(NTK_ENOMEM, "out of memory");
        else if (H5Aread(a, mt, v) < 0) {
            rc = ntk_h5_fail("cannot read attribute '%s'", name);
            free(v);
        } else
            *out = v;
        H5Tclose(mt);
    }
    if (!rc && !*out) rc = ntk_error_set(NTK_ENOMEM, "out of memory");
    if (ft >= 0) H5Tclose(ft);
    H5Aclose(a);
    return rc;
}

int ntk_h5_attr_read_i64(hid_t loc, const char *name, int64_t *out)
{
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return ntk_h5_fail("cannot open attribute '%s'", name);
    int rc = 0;
    if (H5Aread(a, H5T_NATIVE_INT64, out) < 0) rc = ntk_h5_fail("cannot read attribute '%s'", name);
    H5Aclose(a);
    return rc;
}

int ntk_h5_str_dataset(hid_t loc, const char *name, const char *text)
{
    if (!text) text = "";
    hid_t t = H5Tcopy(H5T_C_S1);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t d = -1;
    int rc = 0;
    if (t < 0 || s < 0 || H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)
        rc = ntk_h5_fail("cannot make string type for '%s'", name);
    else if ((d = H5Dcreate2(loc, name, t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0)
        rc = ntk_h5_fail("cannot create dataset '%s'", name);
    else if (H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &text) < 0)
        rc = ntk_h5_fail("cannot write dataset '%s'", name);
    if (d >= 0) H5Dclose(d);
    if (s >= 0) H5Sclose(s);
    if (t >= 0) H5Tclose(t);
    return rc;
}

int ntk_h5_read_str_dataset(hid_t loc, const char *name, char **out)
{
    *out = NULL;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return ntk_h5_fail("cannot open dataset '%s'", name);
    hid_t t = H5Tcopy(H5T_C_S1), ft = H5Dget_type(d);
    char *v = NULL;
    int rc = 0;
    H5Tset_size(t, H5T_VARIABLE);
    if (ft >= 0) {
        H5Tset_cset(t, H5Tget_cset(ft));
        H5Tclose(ft);
    }
    if (H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) < 0)
        rc = ntk_h5_fail("cannot read dataset '%s'", name);
    else {
        *out = strdup(v ? v : "");
        if (!*out) rc = ntk_error_set(NTK_ENOMEM, "out of memory");
        H5free_memory(v);
    }
    H5Tclose(t);
    H5Dclose(d);
    return rc;
}
