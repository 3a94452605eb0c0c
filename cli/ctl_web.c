/* cli/ctl_web.c: `driftctl console --web`: the web console on loopback.
 * Not in this build: the web console is built separately, and this file
 * is its placeholder. SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "ctl.h"

int ctl_console_web(int argc, char **argv)
{
    (void)argc, (void)argv;
    fprintf(stderr, "driftctl: console --web: not in this build\n");
    return CTL_ERROR;
}
