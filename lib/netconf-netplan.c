/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netplan's YAML (netplan(5)), read with libyaml's document loader: network.bridges.NAME with interfaces,
 * mtu, addresses and openvswitch. What a later file says of a bridge replaces what an earlier one said,
 * key by key, as netplan merges its files. */
#include <yaml.h>

#include "netconf.h"
#include "strv.h"
#include "util.h"

static void yaml_document_deletep(yaml_document_t **d)
{
        if (*d)
                yaml_document_delete(*d);
}

static const char *scalar(yaml_document_t *d, yaml_node_t *n)
{
        return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* The value of key in mapping n, NULL when absent (or n is no mapping). */
static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *n, const char *key)
{
        if (!n || n->type != YAML_MAPPING_NODE)
                return NULL;
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
                const char *k = scalar(d, yaml_document_get_node(d, p->key));
                if (k && streq(k, key))
                        return yaml_document_get_node(d, p->value);
        }
        return NULL;
}

/* A sequence of scalars as a vector; NULL (empty) for anything else. */
static int sequence_strv(yaml_document_t *d, yaml_node_t *n, char ***ret)
{
        _cleanup_(strv_freep) char **v = NULL;

        for (yaml_node_item_t *i = n && n->type == YAML_SEQUENCE_NODE ? n->data.sequence.items.start : NULL;
             i && i < n->data.sequence.items.top; i++) {
                const char *s = scalar(d, yaml_document_get_node(d, *i));
                if (s && strv_push_dup(&v, s) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(v);
        return 0;
}

static int bridge_from_node(struct netconf *c, const char *file, yaml_document_t *d, yaml_node_t *key,
                            yaml_node_t *n)
{
        struct netconf_bridge *b = netconf_bridge_get(c, scalar(d, key), NETCONF_NETPLAN, file, 0);
        yaml_node_t *v;
        int r;

        if (!b)
                return -ENOMEM;
        free(b->file);
        b->file = strdup(file);
        b->line = (unsigned)key->start_mark.line + 1;
        if (!b->file)
                return -ENOMEM;
        if ((v = map_get(d, n, "interfaces"))) {
                strv_free(b->ports);
                b->ports = NULL;
                if ((r = sequence_strv(d, v, &b->ports)) < 0)
                        return r;
        }
        if ((v = map_get(d, n, "addresses"))) {
                strv_free(b->addresses);
                b->addresses = NULL;
                if ((r = sequence_strv(d, v, &b->addresses)) < 0)
                        return r;
        }
        if (scalar(d, map_get(d, n, "mtu")))
                (void)safe_atou(scalar(d, map_get(d, n, "mtu")), &b->mtu);
        if (map_get(d, n, "openvswitch"))
                b->ovs = true;
        return 0;
}

/* network.ethernets' names: interfaces netplan configures itself */
static int declared_ethernets(struct netconf *c, yaml_document_t *d, yaml_node_t *n)
{
        char ***v = &c->interfaces[NETCONF_NETPLAN];

        for (yaml_node_pair_t *p = n && n->type == YAML_MAPPING_NODE ? n->data.mapping.pairs.start : NULL;
             p && p < n->data.mapping.pairs.top; p++) {
                const char *name = scalar(d, yaml_document_get_node(d, p->key));
                if (name && !strv_contains(*v, name) && strv_push_dup(v, name) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int load_document(const char *file, const char *text, yaml_document_t *doc, char **ret_error)
{
        yaml_parser_t parser;
        int ok;

        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
        ok = yaml_parser_load(&parser, doc);
        if (!ok) {
                *ret_error = strdup_printf("%s:%zu: %s", file, parser.problem_mark.line + 1,
                                           parser.problem ? parser.problem : "not YAML");
                yaml_parser_delete(&parser);
                return *ret_error ? -EBADMSG : -ENOMEM;
        }
        yaml_parser_delete(&parser);
        return 0;
}

int netconf_parse_netplan(struct netconf *c, const char *file, const char *text, char **ret_error)
{
        yaml_document_t doc;
        _cleanup_(yaml_document_deletep) yaml_document_t *d = NULL;
        yaml_node_t *root, *bridges;
        int r;

        r = load_document(file, text, &doc, ret_error);
        if (r < 0)
                return r;
        d = &doc;
        root = yaml_document_get_root_node(d);
        if (!root)
                return 0; /* an empty file */
        bridges = map_get(d, map_get(d, root, "network"), "bridges");
        if (root->type != YAML_MAPPING_NODE || (bridges && bridges->type != YAML_MAPPING_NODE)) {
                *ret_error = strdup_printf("%s:%zu: not netplan's layout (network: bridges: NAME: ...)",
                                           file, (bridges ? bridges : root)->start_mark.line + 1);
                return *ret_error ? -EBADMSG : -ENOMEM;
        }
        r = declared_ethernets(c, d, map_get(d, map_get(d, root, "network"), "ethernets"));
        if (r < 0)
                return r;
        for (yaml_node_pair_t *p = bridges ? bridges->data.mapping.pairs.start : NULL;
             p && p < bridges->data.mapping.pairs.top; p++) {
                const char *name = scalar(d, yaml_document_get_node(d, p->key));
                if (!name)
                        continue;
                r = bridge_from_node(c, file, d, yaml_document_get_node(d, p->key),
                                     yaml_document_get_node(d, p->value));
                if (r < 0)
                        return r;
        }
        return 0;
}
