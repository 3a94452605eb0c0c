/* policy/srcmap.h: where a governed value comes from, in text: the chart
 * template a render names in its "# Source:" comments, and the line of a
 * Helm template or a rendered manifest that sets a path. Used by SARIF so a
 * code-scanning alert points at the line to change.
 * Pure: libc and path.h; the caller reads the files.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_SRCMAP_H
#define DG_SRCMAP_H

#include <stdbool.h>
#include <stddef.h>

/* An index of the lines of one text (a render or a template), so that
 * lookups cost the size of one document, not of the whole file. */
typedef struct dg_srcmap dg_srcmap_t; /* opaque */

/** Index @text (@len bytes; borrowed: it must outlive the map). Returns a
 *  new map (free with dg_srcmap_free()), or NULL when out of memory. */
dg_srcmap_t *dg_srcmap_new(const char *text, size_t len);

/** Free @map and set *@map to NULL. NULL-safe. */
void dg_srcmap_free(dg_srcmap_t **map);

/** The template that produced the document whose first node is at @line
 *  (1-based) of the render: the "# Source: <path>" comment between the
 *  document's "---" and @line, as `helm template` prints it. Copies the path
 *  into @out (at most @size bytes with the NUL). Returns true when found. */
bool dg_srcmap_source(const dg_srcmap_t *map, int line, char *out, size_t size);

/** The 1-based line of the indexed text that sets @path ("spec.ports[name=http].port";
 *  "" asks for the `kind:` line), searching the YAML document that holds
 *  line @from (up to the next "---"). Each field must be a key nested under
 *  the previous one by indentation; list selectors ([name=http], [*]) are
 *  list items and match any item. Lines that are Go template actions
 *  ("{{- if ... }}") are skipped, so a Helm template is read as the YAML it
 *  renders. Returns 0 when the path is not found (or does not parse). */
int dg_srcmap_line(const dg_srcmap_t *map, int from, const char *path);

#endif
