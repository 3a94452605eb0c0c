/* cli/ctl_policy.c: `driftctl policy`: the built-in DriftPolicy, and the
 * kinds a policy governs (what the webhook's rules must send driftgate).
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static const char usage[] =
    "Usage: driftctl policy default\n"
    "       driftctl policy kinds [--policy FILE]\n"
    "\n"
    "  default   print the built-in DriftPolicy, a starting point for your own\n"
    "  kinds     print the resources a policy governs, one per line, as kubectl\n"
    "            names them (deployments.apps); the webhook configuration must\n"
    "            send driftgate CREATE, UPDATE and DELETE of each\n"
    "  --policy FILE  the DriftPolicy (default: the built-in one)\n";

/* Each governed kind once, in rule order. */
static int print_kinds(const dg_policy_t *pol)
{
    char seen[4096] = "", line[256];

    for (size_t i = 0; i < dg_policy_nrules(pol); i++) {
        const dg_rule_t *r = dg_policy_rule(pol, i);

        for (size_t j = 0; j < r->nkinds; j++) {
            const dg_kindinfo_t *ki = dg_kind_by_kind(r->kinds[j].group, r->kinds[j].kind);

            if (ki == NULL)
                continue;
            snprintf(line, sizeof line, "%s%s%s\n", ki->resource, ki->group[0] ? "." : "",
                     ki->group);
            if (strstr(seen, line) == NULL && strlen(seen) + strlen(line) < sizeof seen) {
                strcat(seen, line);
                fputs(line, stdout);
            }
        }
    }
    return CTL_OK;
}

static int kinds_main(int argc, char **argv)
{
    dg_policy_t *pol = NULL;
    dg_err_t err = {0};
    char msg[600];
    int rc;

    if (argc != 1 && !(argc == 3 && strcmp(argv[1], "--policy") == 0))
        return ctl_usage_error("policy kinds", "expected at most --policy FILE");
    if (ctl_load_policy(argc == 3 ? argv[2] : NULL, &pol, &err) != 0) {
        fprintf(stderr, "driftctl: %s\n", dg_err_format(&err, msg, sizeof msg));
        return CTL_ERROR;
    }
    rc = print_kinds(pol);
    dg_policy_free(&pol);
    return rc;
}

int ctl_policy_main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "default") == 0) {
        fputs(dg_policy_default_text(), stdout);
        return CTL_OK;
    }
    if (argc >= 2 && strcmp(argv[1], "kinds") == 0)
        return kinds_main(argc - 1, argv + 1);
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage, stdout);
        return CTL_OK;
    }
    return ctl_usage_error("policy", "expected 'default' or 'kinds'");
}
