/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "guestnics.h"

#include <stdlib.h>

#include "domainxml.h"
#include "pathnames.h"
#include "strv.h"
#include "util.h"

void guest_nics_free(struct guest_nic *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].guest);
                free(v[i].bridge);
                free(v[i].file);
        }
        free(v);
}

static int add_domain(const struct domain_def *d, struct guest_nic **v, size_t *n)
{
        for (size_t i = 0; i < d->n_interfaces; i++) {
                const struct domain_interface *di = &d->interfaces[i];
                struct guest_nic *nv;

                if (!di->bridge)
                        continue;
                nv = realloc(*v, (*n + 1) * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                *v = nv;
                nv[*n] = (struct guest_nic){.guest = strdup(d->name),
                                            .bridge = strdup(di->bridge),
                                            .mtu = di->mtu,
                                            .file = strdup(d->file),
                                            .line = di->line};
                if (!nv[*n].guest || !nv[*n].bridge || !nv[*n].file) {
                        guest_nics_free(nv + *n, 1);
                        return -ENOMEM;
                }
                ++*n;
        }
        return 0;
}

int guest_nics_read(const struct hostfs *fs, struct guest_nic **ret, size_t *ret_n)
{
        _cleanup_(strv_freep) char **names = NULL;
        struct guest_nic *v = NULL;
        size_t n = 0;
        int r = hostfs_list_dir(fs, PATH_LIBVIRT_QEMU_DIR, &names);

        if (r == -ENOMEM)
                return r;
        STRV_FOREACH (name, names) {
                _cleanup_(domain_def_freep) struct domain_def *d = NULL;
                _cleanup_free_ char *path = NULL, *error = NULL;

                if (!endswith(*name, ".xml"))
                        continue;
                path = strdup_printf("%s/%s", PATH_LIBVIRT_QEMU_DIR, *name);
                if (!path)
                        r = -ENOMEM;
                else if ((r = domain_xml_read(fs, path, &d, &error)) >= 0)
                        r = add_domain(d, &v, &n);
                if (r == -ENOMEM) {
                        guest_nics_free(v, n);
                        return r;
                }
        }
        *ret = v;
        *ret_n = n;
        return 0;
}
