/* policy/strmap.h: a hash map from strings to pointers, for the caches
 * that hold C structs by name ("ns/name" -> release). Chained buckets that
 * double as the map grows. Not thread-safe: the owner locks.
 * Pure: libc only. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_STRMAP_H
#define DG_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

typedef struct dg_strmap dg_strmap_t; /* opaque */

/** New empty map; @free_value (NULL = none) is called on each value the
 *  map drops (dg_strmap_del, a replacing put, dg_strmap_free). NULL when
 *  out of memory. */
dg_strmap_t *dg_strmap_new(void (*free_value)(void *value));

/** Free every entry and the map. Sets *@m to NULL. NULL-safe. */
void dg_strmap_free(dg_strmap_t **m);

/** The value under @key, or NULL. Borrowed. */
void *dg_strmap_get(const dg_strmap_t *m, const char *key);

/** Set @key (copied) to @value (the map owns it from now on, also on
 *  failure, when it is freed). An older value is freed.
 *  Returns 0 or DG_ENOMEM. */
DG_MUST_CHECK int dg_strmap_put(dg_strmap_t *m, const char *key, void *value);

/** Drop @key and free its value. Nothing happens if it is absent. */
void dg_strmap_del(dg_strmap_t *m, const char *key);

/** Take @key's value out without freeing it (NULL if absent). */
void *dg_strmap_take(dg_strmap_t *m, const char *key);

size_t dg_strmap_count(const dg_strmap_t *m);

/* Iteration, in no particular order. The entry just returned may be
 * deleted before the next call; no other change is allowed meanwhile. */
typedef struct dg_strmap_iter {
    size_t bucket;
    void *next; /* private */
} dg_strmap_iter_t;

/** Start with an iterator set to {0}. Returns false at the end; else sets
 *  *@key (borrowed) and *@value. */
bool dg_strmap_next(const dg_strmap_t *m, dg_strmap_iter_t *it, const char **key, void **value);

#endif
