/*
 * convert_int.h - the legacy conversion rules shared by conv_table.c (the
 * generated data) and convert.c (the engine that applies them). Internal to
 * src/abi/.
 */
#ifndef PG_ABI_CONVERT_INT_H
#define PG_ABI_CONVERT_INT_H

#include "event_table.h"

/* What to do with an event matching a rule (libs C_ACTION_*). */
enum evt_conv_action {
	EVT_CA_PASS,	       /* already current: keep it */
	EVT_CA_STORE,	       /* remember it for its exit event, then drop it */
	EVT_CA_STORE_AND_PASS, /* remember it and keep it */
	EVT_CA_ADD_PARAMS,     /* append one parameter per instruction */
	EVT_CA_CHANGE_TYPE,    /* rebuild as new_type, one parameter per instruction */
};

/* Where one parameter of the converted event comes from (libs C_INSTR_*). */
enum evt_conv_src {
	EVT_CI_FROM_EMPTY,	    /* zero-length parameter */
	EVT_CI_FROM_DEFAULT,	    /* the type's default: 0, or ~0 for uid/gid */
	EVT_CI_FROM_ENTER,	    /* parameter @param of the thread's enter event */
	EVT_CI_FROM_OLD,	    /* parameter @param of the event being converted */
	EVT_CI_FROM_CONTAINER_JSON, /* JSON built from an old container event */
};

/* When the source is missing: empty instead of the type's default. */
#define EVT_CIF_FALLBACK_TO_EMPTY 1u

struct evt_conv_instr {
	uint8_t src;   /* enum evt_conv_src */
	uint8_t param; /* parameter index in the source event */
	uint8_t flags; /* EVT_CIF_* */
};

struct evt_conv_rule {
	uint16_t type;	  /* event type the rule applies to ... */
	uint8_t nparams;  /* ... when it has this many parameters */
	uint8_t action;	  /* enum evt_conv_action */
	uint16_t new_type; /* for EVT_CA_CHANGE_TYPE */
	uint8_t ninstr;
	const struct evt_conv_instr *instr;
};

/* Sorted by (type, nparams). */
extern const struct evt_conv_rule evt_conv_rules[];
extern const size_t evt_conv_nrules;

#endif /* PG_ABI_CONVERT_INT_H */
