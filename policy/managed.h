/* policy/managed.h: who changed a live field. The API server records, for
 * every write (kubectl edit, kubectl patch, helm, controllers), which field
 * manager owns which fields, in metadata.managedFields (fieldsType FieldsV1:
 * "f:<field>" for fields, "k:{...}" for list items by merge key, "v:<value>"
 * for set members, "i:<n>" by index). The manager owning a drifted path is
 * who set its live value last: `kubectl-edit  Update  2026-11-24T10:02:11Z`.
 * Pure: libc, jansson, diff.h, obj.h, path.h, yaml.h.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_MANAGED_H
#define DG_MANAGED_H

#include <jansson.h>

#include "diff.h"
#include "err.h"
#include "obj.h"

/** The entry of @managed (a metadata.managedFields array) whose fieldsV1
 *  owns the concrete path @path (as variances name it:
 *  "spec.ports[name=http].port") of the live object @live. A list element
 *  named by [k=v] is looked up in @live, then matched to the fieldsV1 key
 *  "k:{...}" whose every member equals the element's (Service ports are
 *  keyed by port and protocol there, not by name), "v:<value>" equal to it,
 *  or "i:<its index>". A path that ends above fields (a map, a list) is
 *  owned by whoever owns it or anything under it. When several entries own
 *  it (appliers that agree), the one with the latest time wins; entries
 *  that are not FieldsV1 are ignored. Returns a borrowed entry of @managed
 *  ("manager", "operation", "time", ...), or NULL when none owns the path,
 *  @path does not parse or has a [*]. */
const json_t *dg_managed_owner(const json_t *managed, const json_t *live, const char *path);

/** The managedFields of the live object @o: metadata.managedFields when its
 *  tree holds it, else the text kept when it was read (dg_obj_t.managed),
 *  parsed now. Returns a new reference, or NULL when it has none, or the
 *  text is not a list (then who changed what is unknown; never an error). */
json_t *dg_managed_fields(const dg_obj_t *o);

/** A dg_changed_by_t (malloced, free with dg_changed_by_free()) from an
 *  entry dg_managed_owner() returned; NULL when out of memory. */
dg_changed_by_t *dg_managed_changed_by(const json_t *entry);

/** Set changed_by on every variance of @v whose live object in @live has
 *  managedFields and a live value at its path (a value absent from live
 *  has no owner; a missing object neither). Each object's managedFields is
 *  parsed once, and only for objects that drifted.
 *  Returns 0 or DG_ENOMEM. */
DG_MUST_CHECK int dg_managed_attribute(const dg_objset_t *live, dg_variances_t *v,
                                       dg_err_t *err);

#endif
