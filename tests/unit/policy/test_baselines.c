/* tests/unit/policy/test_baselines.c: the baseline index: a release governs
 * only its namespace, and an object two releases claim is reported and
 * settled by the object's own release annotation.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "baselines.h"
#include "support.h"

static dg_release_t *release(const char *name, const char *ns, const char *obj_ns)
{
    dg_release_t *r = dg_release_new(name, ns);
    json_t *hpa = json_pack("{s:s, s:s, s:{s:s, s:s}}", "apiVersion", "autoscaling/v2", "kind",
                            "HorizontalPodAutoscaler", "metadata", "name", "web", "namespace",
                            obj_ns);

    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(dg_objset_add(r->objs, hpa, ns, "test", 1, NULL), 0);
    return r;
}

START_TEST(test_confine)
{
    dg_release_t *home = release("a", "team-a", "team-a"), *claim = release("b", "tenant-b", "team-a");

    ck_assert_int_eq(dg_release_confine(home), 0);
    ck_assert_ptr_null(home->note);
    ck_assert_int_eq(dg_release_confine(claim), 1);
    ck_assert_uint_eq(dg_objset_count(claim->objs), 0);
    ck_assert_str_eq(claim->note, "1 object outside namespace tenant-b dropped "
                                  "(autoscaling/HorizontalPodAutoscaler team-a/web)");
    ck_assert_int_eq(dg_release_confine(claim), 0); /* idempotent */
    dg_release_free(&home);
    dg_release_free(&claim);
}
END_TEST

START_TEST(test_conflict)
{
    dg_baselines_t *b = dg_baselines_new();
    dg_objid_t id = {"autoscaling", "HorizontalPodAutoscaler", "team-a", "web"};
    const dg_obj_t *obj = NULL;
    const dg_conflict_t *c;

    ck_assert_int_eq(dg_baselines_add(b, release("first", "team-a", "team-a"), NULL), 0);
    ck_assert_int_eq(dg_baselines_add(b, release("second", "team-a", "team-a"), NULL), 0);
    ck_assert_uint_eq(dg_baselines_nconflicts(b), 1);
    c = dg_baselines_conflict(b, 0);
    ck_assert_str_eq(c->first->name, "first");
    ck_assert_str_eq(c->second->name, "second");
    ck_assert_str_eq(dg_baselines_owner(b, &id, NULL, &obj)->name, "first");
    ck_assert_str_eq(dg_baselines_owner(b, &id, "second", &obj)->name, "second");
    ck_assert_ptr_eq(obj, dg_objset_find(c->second->objs, &id));
    ck_assert_str_eq(dg_baselines_owner(b, &id, "unknown", NULL)->name, "first");
    /* replacing a release re-indexes: still one conflict, not two */
    ck_assert_int_eq(dg_baselines_add(b, release("second", "team-a", "team-a"), NULL), 0);
    ck_assert_uint_eq(dg_baselines_nconflicts(b), 1);
    dg_baselines_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/baselines");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_confine);
    tcase_add_test(tc, test_conflict);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
