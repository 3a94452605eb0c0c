/* webhook/tls.c: serving credentials with rotation. Handshakes read the
 * current pair under a mutex; a replaced pair is retired, not freed, since
 * a handshake may still hold it; retired pairs are freed at shutdown (one
 * per rotation: bounded by how often certificates rotate).
 * SPDX-License-Identifier: Apache-2.0 */
#include "tls.h"

#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_CHAIN 8

typedef struct pair {
    gnutls_pcert_st certs[MAX_CHAIN];
    unsigned int ncerts;
    gnutls_privkey_t key;
    time_t not_after;
    struct pair *retired_next;
} pair_t;

static struct {
    pthread_mutex_t mu;
    char *cert_file, *key_file;
    struct stat cert_st, key_st;
    pair_t *current, *retired;
    char *client_ca;
    char *client_names;  /* ",a,b,": the names a client certificate may carry; NULL = any */
    gnutls_x509_trust_list_t trust;
} g = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void pair_free(pair_t *p)
{
    if (p == NULL)
        return;
    for (unsigned i = 0; i < p->ncerts; i++)
        gnutls_pcert_deinit(&p->certs[i]);
    if (p->key)
        gnutls_privkey_deinit(p->key);
    free(p);
}

static int read_file(const char *path, gnutls_datum_t *out, struct stat *st, dg_err_t *err)
{
    FILE *f = fopen(path, "rb");
    long n;

    if (f == NULL || fstat(fileno(f), st) != 0 || st->st_size > (1 << 20)) {
        if (f)
            fclose(f);
        return dg_err_set(err, DG_EIO, "%s: cannot read (missing, unreadable or over 1 MiB)",
                          path);
    }
    n = (long)st->st_size;
    out->data = gnutls_malloc((size_t)n + 1);
    if (out->data == NULL || fread(out->data, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        gnutls_free(out->data);
        return dg_err_set(err, DG_EIO, "%s: read error", path);
    }
    fclose(f);
    out->data[n] = '\0';
    out->size = (unsigned)n;
    return 0;
}

/* Does the key belong to the first certificate? Sign and verify a probe. */
static int check_match(pair_t *p, const char *cert_file, dg_err_t *err)
{
    static const unsigned char probe[] = "driftgate key check";
    gnutls_datum_t data = {(unsigned char *)probe, sizeof probe}, sig = {NULL, 0};
    gnutls_pubkey_t pub = NULL;
    int sign_algo, rc;

    rc = gnutls_pubkey_init(&pub);
    if (!rc)
        rc = gnutls_pubkey_import_x509_raw(pub, &p->certs[0].cert, GNUTLS_X509_FMT_DER, 0);
    if (!rc)
        rc = gnutls_privkey_sign_data(p->key, GNUTLS_DIG_SHA256, 0, &data, &sig);
    if (!rc) {
        sign_algo = gnutls_pk_to_sign(gnutls_pubkey_get_pk_algorithm(pub, NULL), GNUTLS_DIG_SHA256);
        rc = gnutls_pubkey_verify_data2(pub, sign_algo, 0, &data, &sig);
    }
    gnutls_free(sig.data);
    gnutls_pubkey_deinit(pub);
    return rc < 0 ? dg_err_set(err, DG_EINVAL, "%s: the key does not match the certificate (%s)",
                               cert_file, gnutls_strerror(rc))
                  : 0;
}

static time_t expiry(const gnutls_datum_t *der)
{
    gnutls_x509_crt_t crt;
    time_t t = 0;

    if (gnutls_x509_crt_init(&crt) == 0) {
        if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) == 0)
            t = gnutls_x509_crt_get_expiration_time(crt);
        gnutls_x509_crt_deinit(crt);
    }
    return t;
}

static int load_pair(pair_t **out, struct stat *cst, struct stat *kst, dg_err_t *err)
{
    gnutls_datum_t cert = {NULL, 0}, key = {NULL, 0};
    pair_t *p = calloc(1, sizeof *p);
    int rc;

    if (p == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory loading the certificate");
    rc = read_file(g.cert_file, &cert, cst, err);
    if (!rc)
        rc = read_file(g.key_file, &key, kst, err);
    p->ncerts = MAX_CHAIN;
    if (!rc && gnutls_pcert_list_import_x509_raw(p->certs, &p->ncerts, &cert, GNUTLS_X509_FMT_PEM,
                                                 0) < 0) {
        p->ncerts = 0;
        rc = dg_err_set(err, DG_EINVAL, "%s: not a PEM certificate chain", g.cert_file);
    }
    if (!rc && (gnutls_privkey_init(&p->key) < 0 ||
                gnutls_privkey_import_x509_raw(p->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0) < 0))
        rc = dg_err_set(err, DG_EINVAL, "%s: not a PEM private key", g.key_file);
    if (!rc)
        rc = check_match(p, g.cert_file, err);
    if (!rc)
        p->not_after = expiry(&p->certs[0].cert);
    gnutls_free(cert.data);
    gnutls_free(key.data);
    if (rc) {
        if (p->ncerts == MAX_CHAIN)
            p->ncerts = 0;
        pair_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

static char *slurp(const char *path)
{
    gnutls_datum_t d = {NULL, 0};
    struct stat st;
    char *s;

    if (read_file(path, &d, &st, NULL) != 0)
        return NULL;
    s = strdup((char *)d.data);
    gnutls_free(d.data);
    return s;
}

/* "a, b" -> ",a,b,": a name then matches exactly between commas. */
static int set_names(const char *list, dg_err_t *err)
{
    char *o = malloc(strlen(list) + 3), *q = o;

    if (o == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    *q++ = ',';
    for (const char *p = list; *p; p++)
        if (*p != ' ' && !(*p == ',' && q[-1] == ','))
            *q++ = *p;
    if (q[-1] != ',')
        *q++ = ',';
    *q = '\0';
    if (strcmp(o, ",") == 0) {
        free(o);
        return dg_err_set(err, DG_EINVAL, "--client-allowed-names '%s': no name in it", list);
    }
    g.client_names = o;
    return 0;
}

int dg_tls_init(const char *cert_file, const char *key_file, const char *client_ca,
                const char *client_names, dg_err_t *err)
{
    gnutls_datum_t ca;
    int rc;

    g.cert_file = strdup(cert_file);
    g.key_file = strdup(key_file);
    if (g.cert_file == NULL || g.key_file == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    if ((rc = load_pair(&g.current, &g.cert_st, &g.key_st, err)) != 0)
        return rc;
    if (client_ca == NULL)
        return 0;
    if (client_names && (rc = set_names(client_names, err)) != 0)
        return rc;
    g.client_ca = slurp(client_ca);
    if (g.client_ca == NULL)
        return dg_err_set(err, DG_EIO, "%s: cannot read the client CA bundle", client_ca);
    ca.data = (unsigned char *)g.client_ca;
    ca.size = (unsigned)strlen(g.client_ca);
    if (gnutls_x509_trust_list_init(&g.trust, 0) < 0 ||
        gnutls_x509_trust_list_add_trust_mem(g.trust, &ca, NULL, GNUTLS_X509_FMT_PEM, 0, 0) <= 0)
        return dg_err_set(err, DG_EINVAL, "%s: no PEM CA certificate in it", client_ca);
    return 0;
}

static bool changed(const struct stat *a, const struct stat *b)
{
    return a->st_ino != b->st_ino || a->st_size != b->st_size ||
           a->st_mtim.tv_sec != b->st_mtim.tv_sec || a->st_mtim.tv_nsec != b->st_mtim.tv_nsec;
}

int dg_tls_reload(dg_err_t *err)
{
    struct stat cst, kst;
    pair_t *p;
    int rc;

    /* Kubernetes Secret volumes swap a symlink: stat follows it. */
    if (stat(g.cert_file, &cst) != 0 || stat(g.key_file, &kst) != 0)
        return 0;
    if (!changed(&cst, &g.cert_st) && !changed(&kst, &g.key_st))
        return 0;
    /* Seen, good or not: a pair that does not load is reported once, and
     * tried again only when a file changes again. */
    g.cert_st = cst;
    g.key_st = kst;
    if ((rc = load_pair(&p, &cst, &kst, err)) != 0)
        return rc;
    pthread_mutex_lock(&g.mu);
    g.current->retired_next = g.retired;
    g.retired = g.current;
    g.current = p;
    pthread_mutex_unlock(&g.mu);
    return 1;
}

int dg_tls_cert_callback(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
                         const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
                         gnutls_pcert_st **pcert, unsigned int *pcert_length,
                         gnutls_privkey_t *privkey)
{
    (void)session, (void)req_ca_dn, (void)nreqs, (void)pk_algos, (void)pk_algos_length;
    pthread_mutex_lock(&g.mu);
    *pcert = g.current->certs;
    *pcert_length = g.current->ncerts;
    *privkey = g.current->key;
    pthread_mutex_unlock(&g.mu);
    return 0;
}

const char *dg_tls_client_ca_pem(void)
{
    return g.client_ca;
}

/* Is @name (@n bytes) one of --client-allowed-names? */
static bool allowed_name(const char *name, size_t n)
{
    const char *p = g.client_names;

    while ((p = strstr(p, name)) != NULL && n > 0) {
        if (p[-1] == ',' && p[n] == ',')
            return true;
        p++;
    }
    return false;
}

/* The leaf's common name or one of its DNS names must be allowed. */
static bool leaf_named(gnutls_x509_crt_t leaf)
{
    char name[256];
    size_t size = sizeof name;
    unsigned type;

    if (g.client_names == NULL)
        return true;
    if (gnutls_x509_crt_get_dn_by_oid(leaf, GNUTLS_OID_X520_COMMON_NAME, 0, 0, name, &size) == 0 &&
        strlen(name) == size && allowed_name(name, size))
        return true;
    for (unsigned i = 0;; i++) {
        int t;

        size = sizeof name;
        t = gnutls_x509_crt_get_subject_alt_name2(leaf, i, name, &size, &type, NULL);
        if (t == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            return false;
        if (t == GNUTLS_SAN_DNSNAME && size < sizeof name && strlen(name) == size &&
            allowed_name(name, size))
            return true;
    }
}

bool dg_tls_client_verified(gnutls_session_t session)
{
    /* A server certificate from the same CA must not pass for the API server. */
    gnutls_typed_vdata_st purpose = {GNUTLS_DT_KEY_PURPOSE_OID,
                                     (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0};
    const gnutls_datum_t *chain;
    unsigned int n = 0, status = 1;
    gnutls_x509_crt_t crts[MAX_CHAIN];
    unsigned int ncrts = 0;
    bool ok;

    if (g.trust == NULL)
        return true;
    if (session == NULL || (chain = gnutls_certificate_get_peers(session, &n)) == NULL || n == 0)
        return false;
    for (unsigned i = 0; i < n && i < MAX_CHAIN; i++) {
        if (gnutls_x509_crt_init(&crts[ncrts]) < 0)
            break;
        if (gnutls_x509_crt_import(crts[ncrts], &chain[i], GNUTLS_X509_FMT_DER) < 0) {
            gnutls_x509_crt_deinit(crts[ncrts]);
            break;
        }
        ncrts++;
    }
    ok = ncrts == n &&
         gnutls_x509_trust_list_verify_crt2(g.trust, crts, ncrts, &purpose, 1, 0, &status, NULL) ==
             0 &&
         status == 0 && leaf_named(crts[0]);
    for (unsigned i = 0; i < ncrts; i++)
        gnutls_x509_crt_deinit(crts[i]);
    return ok;
}

double dg_tls_expiry_seconds(void)
{
    double s;

    pthread_mutex_lock(&g.mu);
    s = g.current ? difftime(g.current->not_after, time(NULL)) : 0;
    pthread_mutex_unlock(&g.mu);
    return s;
}

void dg_tls_shutdown(void)
{
    pair_free(g.current);
    while (g.retired) {
        pair_t *next = g.retired->retired_next;

        pair_free(g.retired);
        g.retired = next;
    }
    if (g.trust)
        gnutls_x509_trust_list_deinit(g.trust, 1);
    free(g.cert_file);
    free(g.key_file);
    free(g.client_ca);
    free(g.client_names);
    memset(&g, 0, sizeof g);
}
