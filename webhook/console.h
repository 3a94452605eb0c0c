/* webhook/console.h: the web console, one static page that reads the JSON
 * API. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_CONSOLE_H
#define DG_CONSOLE_H

extern const char dg_console_html[];

#endif
