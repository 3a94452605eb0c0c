/* policy/project.h: the parts of a request's object that a decision reads,
 * as the jansson trees dg_decide compares: apiVersion, kind, name and
 * namespace, the Helm and break-glass annotations, spec.replicas, and what
 * the paths of the policy's rules for its kind reach. The reader (policy/jread.c) has checked the whole body; the rest
 * of it is never built as jansson, which is most of what a request cost.
 * Pure: libc, jansson. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_PROJECT_H
#define DG_PROJECT_H

#include <jansson.h>

#include "jread.h"
#include "policy.h"

/* The annotations Helm 3+ stamps on what it manages. */
#define DG_HELM_RELEASE_NAME "meta.helm.sh/release-name"
#define DG_HELM_RELEASE_NS "meta.helm.sh/release-namespace"

/** @obj (an object node) reduced to what a decision about an object of
 *  @group/@kind under @pol reads: every member on the way to a rule's
 *  path, and the value at the end of the path's leading fields whole (a
 *  list is matched by merge keys, so it is kept whole from its first
 *  list segment down). A member absent from @obj stays absent. Returns a
 *  new reference, or NULL when out of memory. */
json_t *dg_project(const dg_jnode_t *obj, const dg_policy_t *pol, const char *group,
                   const char *kind);

#endif
