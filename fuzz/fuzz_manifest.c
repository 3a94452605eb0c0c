/* fuzz/fuzz_manifest.c: arbitrary bytes into the manifest loader (YAML,
 * JSON, Lists, baseline ConfigMaps with gzip'd data), keeping each object's
 * managedFields as text and then parsing it and asking who owns a path, as
 * diff does for a drifted object. It must return an error or objects, never
 * crash, hang or leak.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include <stdint.h>

#include "managed.h"
#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dg_manifest_opts_t opts = {.name = "fuzz.yaml", .default_ns = "fuzz", .max_bytes = 1 << 20,
                               .keep_managed = true};
    dg_manifest_info_t info = {0};
    dg_objset_t *set = dg_objset_new();
    dg_err_t err = {0};

    if (set == NULL)
        return 0;
    if (dg_manifest_load((const char *)data, size, &opts, set, &info, &err) != 0 && err.code == 0)
        __builtin_trap(); /* a failure must say why */
    for (size_t i = 0; i < dg_objset_count(set); i++) {
        const dg_obj_t *o = dg_objset_at(set, i);
        json_t *mf = dg_managed_fields(o);

        (void)dg_managed_owner(mf, o->json, "spec.ports[name=http].port");
        json_decref(mf);
    }
    dg_manifest_info_free(&info);
    dg_objset_free(&set);
    return 0;
}
