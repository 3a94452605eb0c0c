/* policy/norm.h: what the API server does to an object that the render
 * does not show, so that the diff never reports it as drift: defaults it
 * fills in, fields it allocates, the merge keys it matches lists by, and
 * resource quantities it canonicalizes ("0.5" is stored as "500m").
 * Elements and quantities are read through dg_val_t, from jansson or
 * the reader's nodes alike. Pure: libc, jansson. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_NORM_H
#define DG_NORM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "val.h"

/** The default the API server applies when field @gpath is absent from a
 *  @group/@kind object. @gpath is the generic path, every list element
 *  written [*] ("spec.ports[*].protocol"); @parent is the object that lacks
 *  the field (targetPort defaults to the element's port). Returns a new
 *  reference, or NULL when there is no default. */
json_t *dg_norm_default(const char *group, const char *kind, const char *gpath,
                        dg_val_t parent);

/** Is @field (the last segment of a path) one the API server allocates for
 *  a @group/@kind object when the manifest leaves it out (a Service's
 *  clusterIP, a NodePort's nodePort)? Then its absence from the baseline is
 *  not drift. */
bool dg_norm_server_allocated(const char *group, const char *kind, const char *field);

#define DG_NORM_MAX_KEYS 2
#define DG_NORM_KEY_LEN 128

typedef struct dg_mergekey {
    size_t n;                                      /* 0 = no merge key */
    const char *names[DG_NORM_MAX_KEYS];           /* static strings */
    char vals[DG_NORM_MAX_KEYS][DG_NORM_KEY_LEN];  /* as text */
} dg_mergekey_t;

/** The merge key of element @elem of list @field: "name" where it has one;
 *  Service ports by port+protocol, container ports by containerPort+protocol
 *  (protocol defaulting to TCP). Fills @key (key->n = 0 when none). */
void dg_norm_merge_key(const char *field, dg_val_t elem, dg_mergekey_t *key);

/** Does element @elem of list @field have @name = @val (text form; an absent
 *  protocol reads as TCP)? */
bool dg_norm_key_matches(const char *field, dg_val_t elem, const char *name, const char *val);

/** A scalar as text: strings as they are, numbers and booleans as JSON
 *  writes them. Returns @buf; "" for objects, arrays and null. */
const char *dg_norm_scalar_text(dg_val_t v, char *buf, size_t size);

/** Are @a and @b equal as Kubernetes resource quantities ("500m" == "0.5"
 *  == 0.5, "1Gi" == "1024Mi")? False when either is not a quantity. */
bool dg_norm_quantity_equal(dg_val_t a, dg_val_t b);

#endif
