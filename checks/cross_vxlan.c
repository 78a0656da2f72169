/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cross.vxlan: the VXLAN overlay is one segment only if every hypervisor has a VXLAN link of the same
 * VNI, and a guest keeps its large packets after a migration only if the overlay's MTU is the same
 * wherever it runs. From each host's facts (vxlans: name, vni, port, mtu; absent when a host's facts
 * do not say, which is then left out). The VNI is the profile's [network] vxlan_vni, else the first
 * VXLAN of the first hypervisor that has one.
 */
#include "common.h"
#include "cross.h"
#include "json-util.h"

enum {
        VXLAN_OFF,
        VXLAN_UNKNOWN,
        VXLAN_MISSING,
        VXLAN_MTU_DIFFERENT,
        VXLAN_SAME,
};

static const struct result_def vxlan_results[] = {
        [VXLAN_OFF] = {"cross.vxlan", STATUS_SKIP, "no_overlay"},
        [VXLAN_UNKNOWN] = {"cross.vxlan", STATUS_SKIP, "no_vxlan_facts"},
        [VXLAN_MISSING] = {"cross.vxlan", STATUS_FAIL, "vni_missing",
                           "create a VXLAN link with id @VNI@ on @HOST@ (net.vxlan there says how)"},
        /* a guest sends what its interface was given; a smaller overlay on the destination drops it */
        [VXLAN_MTU_DIFFERENT] = {"cross.vxlan", STATUS_FAIL, "different_mtu",
                                 "give the VXLAN link of VNI @VNI@ the same MTU on every hypervisor "
                                 "([network] overlay_mtu)"},
        [VXLAN_SAME] = {"cross.vxlan", STATUS_PASS, "same_vni_mtu"},
};

/* The host's VXLAN of vni (any VXLAN when vni < 0); NULL when it has none. */
static json_object *find_vxlan(json_object *vxlans, int64_t vni)
{
        for (size_t i = 0; i < json_object_array_length(vxlans); i++) {
                json_object *v = json_object_array_get_idx(vxlans, i);

                if (vni < 0 || json_get_int(v, "vni", -1) == vni)
                        return v;
        }
        return NULL;
}

static json_object *host_vxlans(const struct host_facts *h)
{
        json_object *a = h->facts ? json_get(h->facts, "vxlans") : NULL;

        return (h->roles & ROLE_BIT(ROLE_HYPERVISOR)) && json_object_is_type(a, json_type_array) ? a : NULL;
}

/* The profile's VNI, else the first hypervisor's first VXLAN's; -1 when there is neither. */
static int64_t wanted_vni(const struct cross_ctx *ctx)
{
        unsigned v;

        if (safe_atou(strempty(conf_get(ctx->profile, "network", "vxlan_vni")), &v) >= 0)
                return v;
        for (size_t i = 0; i < ctx->n_hosts; i++) {
                json_object *a = host_vxlans(&ctx->hosts[i]), *first = a ? find_vxlan(a, -1) : NULL;
                if (first)
                        return json_get_int(first, "vni", -1);
        }
        return -1;
}

static int compare_vxlan(struct cross_ctx *ctx)
{
        _cleanup_free_ char *seen = NULL, *vni_text = NULL;
        int64_t vni = wanted_vni(ctx), mtu0 = -1;
        bool differ = false, missing = false;
        size_t known = 0;

        if (!check_overlay_wanted(ctx->profile, "vxlan"))
                return result_list_add_def(ctx->results, &vxlan_results[VXLAN_OFF], NULL, NULL, NULL,
                                           "the profile asks for no VXLAN overlay");
        vni_text = vni >= 0 ? strdup_printf("%lld", (long long)vni) : strdup("N ([network] vxlan_vni)");
        if (!vni_text)
                return -ENOMEM;
        for (size_t i = 0; i < ctx->n_hosts; i++) {
                const struct host_facts *h = &ctx->hosts[i];
                json_object *a = host_vxlans(h), *v = a && vni >= 0 ? find_vxlan(a, vni) : NULL;
                int64_t mtu;
                char *n;
                int r;

                if (!a)
                        continue;
                known++;
                if (!v) {
                        missing = true;
                        r = result_list_add_def(ctx->results, &vxlan_results[VXLAN_MISSING], NULL,
                                                HINT_VALUES("VNI", vni_text, "HOST", h->name), NULL,
                                                "%s has no VXLAN of VNI %s: guests migrated there leave the "
                                                "overlay",
                                                h->name, vni_text);
                        if (r < 0)
                                return r;
                        continue;
                }
                mtu = json_get_int(v, "mtu", -1);
                n = strdup_printf("%s%s%s: %s MTU %lld", strempty(seen), seen ? "; " : "", h->name,
                                  strempty(json_get_string(v, "name")), (long long)mtu);
                if (!n)
                        return -ENOMEM;
                free(seen);
                seen = n;
                differ = differ || (mtu0 >= 0 && mtu != mtu0);
                mtu0 = mtu0 < 0 ? mtu : mtu0;
        }
        if (known < 2)
                return result_list_add_def(ctx->results, &vxlan_results[VXLAN_UNKNOWN], NULL, NULL, NULL,
                                           "fewer than two hypervisors say what VXLANs they have");
        if (differ)
                return result_list_add_def(ctx->results, &vxlan_results[VXLAN_MTU_DIFFERENT], NULL,
                                           HINT_VALUES("VNI", vni_text), seen,
                                           "the overlay of VNI %s has different MTUs (%s): a guest sending "
                                           "the larger loses its large packets on the smaller",
                                           vni_text, seen);
        if (missing)
                return 0;
        return result_list_add_def(ctx->results, &vxlan_results[VXLAN_SAME], NULL, NULL, seen,
                                   "VNI %s on every hypervisor with MTU %lld", vni_text, (long long)mtu0);
}

const struct cross_check cross_vxlan = {
        .id = "cross.vxlan",
        .title = "the VXLAN overlay: the same VNI and MTU on every hypervisor",
        .results = vxlan_results,
        .n_results = ELEMENTSOF(vxlan_results),
        .compare = compare_vxlan,
};
