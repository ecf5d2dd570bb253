/* h5util.h - thin typed HDF5 helpers for the archive (private to src/io).
 *
 * Every helper checks each HDF5 call, closes what it opened (in reverse order) and on failure
 * records a message naming the object, with the innermost HDF5 error description appended, and
 * returns NTK_EHDF5. Callers silence HDF5's automatic error printing with ntk_h5_quiet().
 */
#ifndef NTKSWEEP_IO_H5UTIL_H
#define NTKSWEEP_IO_H5UTIL_H

#include <hdf5.h>
#include <stdint.h>

/* Saved state of the HDF5 automatic error printer. */
typedef struct {
    H5E_auto2_t fn;
    void *data;
} ntk_h5_quiet_state;

/* Turns HDF5's automatic error printing off; ntk_h5_loud() restores it. */
void ntk_h5_quiet(ntk_h5_quiet_state *s);
void ntk_h5_loud(const ntk_h5_quiet_state *s);

/* Records "what: <innermost HDF5 message>" and returns NTK_EHDF5. */
int ntk_h5_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Group creation property list with link and attribute creation order tracked and indexed (as
 * netCDF-4 requires). Caller closes it. Negative on failure. */
hid_t ntk_h5_gcpl(void);

/* Scalar attributes; an existing attribute of that name is replaced. */
int ntk_h5_attr_str(hid_t loc, const char *name, const char *value);
int ntk_h5_attr_i64(hid_t loc, const char *name, int64_t value);
int ntk_h5_attr_f64(hid_t loc, const char *name, double value);
/* 1-D attribute of n uint8 values (CF flag_values). */
int ntk_h5_attr_u8v(hid_t loc, const char *name, const unsigned char *v, int n);

/* Reads a string attribute (fixed or variable length) into a malloc'd string (*out; caller
 * frees). NTK_EHDF5 if missing or not a string. */
int ntk_h5_attr_read_str(hid_t loc, const char *name, char **out);
int ntk_h5_attr_read_i64(hid_t loc, const char *name, int64_t *out);

/* 0-D variable-length string dataset holding text (any size). */
int ntk_h5_str_dataset(hid_t loc, const char *name, const char *text);
/* Reads a 0-D string dataset into a malloc'd string. */
int ntk_h5_read_str_dataset(hid_t loc, const char *name, char **out);

#endif
