/* cli/ctl_policy.c: `driftctl policy`: the built-in DriftPolicy, and the
 * kinds a policy governs (what the webhook's rules must send driftgate).
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

enum { O_POLICY = 256 };

static const ctl_opt_t kinds_opts[] = {
    {"policy", 0, "FILE", O_POLICY, "the DriftPolicy (default: the built-in one); '-' = stdin"},
    {NULL, 0, NULL, 0, NULL},
};

static const ctl_opt_t no_opts[] = {{NULL, 0, NULL, 0, NULL}};

const ctl_cmd_t ctl_policy_kinds_cmd = {
    "policy kinds",
    "Usage: driftctl policy kinds [--policy FILE]\n"
    "\n"
    "Print the resources a policy governs, one per line, as kubectl names them\n"
    "(deployments.apps); the webhook configuration must send driftgate CREATE,\n"
    "UPDATE and DELETE of each.\n",
    kinds_opts,
    NULL,
};

static const ctl_cmd_t default_cmd = {
    "policy default",
    "Usage: driftctl policy default\n"
    "\n"
    "Print the built-in DriftPolicy, a starting point for your own.\n",
    no_opts,
    NULL,
};

static const ctl_cmd_t policy_cmd = {
    "policy",
    "Usage: driftctl policy default\n"
    "       driftctl policy kinds [--policy FILE]\n"
    "\n"
    "  default   print the built-in DriftPolicy, a starting point for your own\n"
    "  kinds     print the resources a policy governs, one per line, as kubectl\n"
    "            names them (deployments.apps); the webhook configuration must\n"
    "            send driftgate CREATE, UPDATE and DELETE of each\n"
    "\n"
    "Run 'driftctl policy kinds --help' for its flags.\n",
    no_opts,
    NULL,
};

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
    ctl_args_t a = {argc, argv, 1, NULL};
    const char *path = NULL;
    dg_policy_t *pol = NULL;
    dg_err_t err = {0};
    int c, rc;

    while ((c = ctl_opts_next(&ctl_policy_kinds_cmd, &a)) > 0)
        if (c == O_POLICY)
            path = a.val;
    if (c < 0)
        return ctl_parse_status(c);
    if (ctl_load_policy(path, &pol, &err) != 0)
        return ctl_fail(&err);
    rc = print_kinds(pol);
    dg_policy_free(&pol);
    return rc;
}

static int default_main(int argc, char **argv)
{
    ctl_args_t a = {argc, argv, 1, NULL};
    int c = ctl_opts_next(&default_cmd, &a);

    if (c < 0)
        return ctl_parse_status(c);
    fputs(dg_policy_default_text(), stdout);
    return CTL_OK;
}

int ctl_policy_main(int argc, char **argv)
{
    ctl_args_t a = {argc, argv, 1, NULL};

    if (argc >= 2 && strcmp(argv[1], "default") == 0)
        return default_main(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "kinds") == 0)
        return kinds_main(argc - 1, argv + 1);
    int c = argc >= 2 && argv[1][0] == '-' ? ctl_opts_next(&policy_cmd, &a) : 0;

    if (c < 0)
        return ctl_parse_status(c);
    return ctl_usage_error("policy", "expected 'default' or 'kinds'");
}
