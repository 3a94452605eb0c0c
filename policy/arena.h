/* policy/arena.h: a bump allocator for one request's short-lived data (the
 * decoded body's nodes and strings): no allocation per node, nothing freed
 * piecemeal, everything dropped at once by a reset that keeps the largest
 * block, so a thread that reuses its arena settles on one block.
 * Pure: libc only. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_ARENA_H
#define DG_ARENA_H

#include <stddef.h>

struct dg_arena_block;

typedef struct dg_arena {
    struct dg_arena_block *head; /* NULL or malloced: the block being filled,
                                  * earlier (smaller) ones chained behind it */
    size_t first;                /* size of the first block to allocate */
} dg_arena_t;

/** Start empty; the first allocation takes a block of @first bytes (or
 *  more, if it needs more). Allocates nothing yet. */
void dg_arena_init(dg_arena_t *a, size_t first);

/** @n bytes aligned for any scalar type, valid until the next reset or
 *  free. Returns NULL when out of memory. */
void *dg_arena_alloc(dg_arena_t *a, size_t n);

/** A NUL-terminated copy of @n bytes at @s in @a, or NULL (out of memory). */
char *dg_arena_strndup(dg_arena_t *a, const char *s, size_t n);

/** Drop everything allocated; keep the current (largest) block for reuse,
 *  unless it grew past 16 times the first size (then it is freed too). */
void dg_arena_reset(dg_arena_t *a);

/** Free every block; @a may be re-initialised or reused (it starts empty). */
void dg_arena_free(dg_arena_t *a);

#endif
