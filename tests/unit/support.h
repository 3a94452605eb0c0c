/* tests/unit/support.h: small helpers shared by the unit tests.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_TEST_SUPPORT_H
#define DG_TEST_SUPPORT_H

#include <check.h>
#include <jansson.h>
#include <stddef.h>

/** Read a file relative to the source tree (DG_TEST_SRCDIR), or an absolute
 *  path. Fails the test if unreadable. Caller frees. NUL-terminated. */
char *dg_test_read(const char *path, size_t *len);

/** Absolute path of @rel under the source tree, in a static buffer. */
const char *dg_test_path(const char *rel);

/** Directory of the shared AdmissionReview fixtures (../shared/fixtures/
 *  admission-reviews beside the checkout, or $DG_SHARED_FIXTURES). */
const char *dg_test_shared_reviews(void);

/** Parse JSON text or fail the test. New reference. */
json_t *dg_test_json(const char *text);

/** Sorted names of the subdirectories of @dir (absolute); NULL-terminated
 *  array, caller frees with dg_test_names_free(). *@n gets the count. */
char **dg_test_subdirs(const char *dir, size_t *n);
/** The same of its regular files. */
char **dg_test_files(const char *dir, size_t *n);
void dg_test_names_free(char **names);

/** Run one suite in fork mode; returns the process exit status. */
int dg_test_run(Suite *s);

#endif
