/*
 * fields_int.h - internals of the fields module shared between its files.
 */
#ifndef PG_FIELDS_FIELDS_INT_H
#define PG_FIELDS_FIELDS_INT_H

/* One past the highest libs syscall code (PPM_SC_*) known. */
#define FLD_SC_COUNT 454

/* Syscall names by libs syscall code; NULL for unknown codes. */
extern const char *const fld_sc_names[FLD_SC_COUNT];

#endif /* PG_FIELDS_FIELDS_INT_H */
