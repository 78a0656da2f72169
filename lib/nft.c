/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"
#include "macro.h"
#include "nft.h"
#include "strv.h"
#include "util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nft_ctx *, nft_ctx_free)

static int ctx_new(unsigned flags, struct nft_ctx **ret)
{
        struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);

        if (!ctx)
                return -ENOMEM;
        nft_ctx_output_set_flags(ctx, flags);
        if (nft_ctx_buffer_output(ctx) < 0 || nft_ctx_buffer_error(ctx) < 0) {
                nft_ctx_free(ctx);
                return -ENOMEM;
        }
        *ret = ctx;
        return 0;
}

static void take_error(struct nft_ctx *ctx, char **ret_error)
{
        const char *e = nft_ctx_get_error_buffer(ctx);

        if (!ret_error)
                return;
        *ret_error = strndup(strempty(e), strlen(strempty(e)) - (e && endswith(e, "\n")));
}

static int run_listing(const char *cmd, unsigned flags, char **ret, char **ret_error)
{
        _cleanup_(nft_ctx_freep) struct nft_ctx *ctx = NULL;
        char *out;
        int r;

        r = ctx_new(flags, &ctx);
        if (r < 0)
                return r;
        if (nft_run_cmd_from_buffer(ctx, cmd) != 0) {
                const char *e = nft_ctx_get_error_buffer(ctx);

                take_error(ctx, ret_error);
                return e && strstr(e, "No such file or directory") ? -ENOENT : -EIO;
        }
        out = strdup(strempty(nft_ctx_get_output_buffer(ctx)));
        if (!out)
                return -ENOMEM;
        *ret = out;
        return 0;
}

int nft_list_ruleset(unsigned flags, char **ret, char **ret_error)
{
        /* handles name the rules in evidence */
        return run_listing("list ruleset",
                           NFT_CTX_OUTPUT_HANDLE | (flags & NFT_LIST_JSON ? NFT_CTX_OUTPUT_JSON : 0) |
                                   (flags & NFT_LIST_STATELESS ? NFT_CTX_OUTPUT_STATELESS : 0),
                           ret, ret_error);
}

int nft_rules_with_comment(const char *json, const char *comment, char ***ret)
{
        _cleanup_(json_object_putp) json_object *root = json_tokener_parse(json);
        _cleanup_(strv_freep) char **v = NULL;
        json_object *items = json_get(root, "nftables");

        if (!items || !json_object_is_type(items, json_type_array))
                return -EBADMSG;
        for (size_t i = 0; i < json_object_array_length(items); i++) {
                json_object *rule = json_get(json_object_array_get_idx(items, i), "rule");
                const char *c = rule ? json_get_string(rule, "comment") : NULL;

                if (c && streq(c, comment) &&
                    strv_push(&v, strdup_printf("%s %s %s %" PRIi64, strna(json_get_string(rule, "family")),
                                                strna(json_get_string(rule, "table")),
                                                strna(json_get_string(rule, "chain")),
                                                json_get_int(rule, "handle", 0))) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(v);
        return 0;
}

int nft_list_table(const char *family, const char *name, char **ret, char **ret_error)
{
        _cleanup_free_ char *cmd = strdup_printf("list table %s %s", family, name);

        return cmd ? run_listing(cmd, 0, ret, ret_error) : -ENOMEM;
}

int nft_run(const char *commands, bool check, char **ret_error)
{
        _cleanup_(nft_ctx_freep) struct nft_ctx *ctx = NULL;
        int r;

        r = ctx_new(0, &ctx);
        if (r < 0)
                return r;
        nft_ctx_set_dry_run(ctx, check);
        if (nft_run_cmd_from_buffer(ctx, commands) != 0) {
                take_error(ctx, ret_error);
                return -EINVAL;
        }
        return 0;
}
