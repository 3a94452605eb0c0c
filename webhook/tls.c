/* webhook/tls.c: serving credentials with rotation, one dg_tls_t per
 * gate. Handshakes read the current pair under a mutex; a replaced pair is
 * retired, not freed, since a handshake may still hold it; retired pairs
 * are freed with the object, after the server has stopped (one per
 * rotation: bounded by how often certificates rotate).
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

struct dg_tls {
    pthread_mutex_t mu;       /* @current: handshakes read it while a reload swaps it */
    char *cert_file, *key_file;
    struct stat cert_st, key_st;
    pair_t *current, *retired;
    char *client_ca;
    char *client_names;  /* ",a,b,": the names a client certificate may carry; NULL = any */
    gnutls_x509_trust_list_t trust;
};

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

static int load_pair(const dg_tls_t *tls, pair_t **out, struct stat *cst, struct stat *kst,
                     dg_err_t *err)
{
    gnutls_datum_t cert = {NULL, 0}, key = {NULL, 0};
    pair_t *p = calloc(1, sizeof *p);
    int rc;

    if (p == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory loading the certificate");
    rc = read_file(tls->cert_file, &cert, cst, err);
    if (!rc)
        rc = read_file(tls->key_file, &key, kst, err);
    p->ncerts = MAX_CHAIN;
    if (!rc && gnutls_pcert_list_import_x509_raw(p->certs, &p->ncerts, &cert, GNUTLS_X509_FMT_PEM,
                                                 0) < 0) {
        p->ncerts = 0;
        rc = dg_err_set(err, DG_EINVAL, "%s: not a PEM certificate chain", tls->cert_file);
    }
    if (!rc && (gnutls_privkey_init(&p->key) < 0 ||
                gnutls_privkey_import_x509_raw(p->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0) < 0))
        rc = dg_err_set(err, DG_EINVAL, "%s: not a PEM private key", tls->key_file);
    if (!rc)
        rc = check_match(p, tls->cert_file, err);
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
static int set_names(dg_tls_t *tls, const char *list, dg_err_t *err)
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
    tls->client_names = o;
    return 0;
}

static int tls_init(dg_tls_t *tls, const char *cert_file, const char *key_file,
                    const char *client_ca, const char *client_names, dg_err_t *err)
{
    gnutls_datum_t ca;
    int rc;

    tls->cert_file = strdup(cert_file);
    tls->key_file = strdup(key_file);
    if (tls->cert_file == NULL || tls->key_file == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    if ((rc = load_pair(tls, &tls->current, &tls->cert_st, &tls->key_st, err)) != 0)
        return rc;
    if (client_ca == NULL)
        return 0;
    if (client_names && (rc = set_names(tls, client_names, err)) != 0)
        return rc;
    tls->client_ca = slurp(client_ca);
    if (tls->client_ca == NULL)
        return dg_err_set(err, DG_EIO, "%s: cannot read the client CA bundle", client_ca);
    ca.data = (unsigned char *)tls->client_ca;
    ca.size = (unsigned)strlen(tls->client_ca);
    if (gnutls_x509_trust_list_init(&tls->trust, 0) < 0 ||
        gnutls_x509_trust_list_add_trust_mem(tls->trust, &ca, NULL, GNUTLS_X509_FMT_PEM, 0, 0) <= 0)
        return dg_err_set(err, DG_EINVAL, "%s: no PEM CA certificate in it", client_ca);
    return 0;
}

static bool changed(const struct stat *a, const struct stat *b)
{
    return a->st_ino != b->st_ino || a->st_size != b->st_size ||
           a->st_mtim.tv_sec != b->st_mtim.tv_sec || a->st_mtim.tv_nsec != b->st_mtim.tv_nsec;
}

int dg_tls_reload(dg_tls_t *tls, dg_err_t *err)
{
    struct stat cst, kst;
    pair_t *p;
    int rc;

    /* Kubernetes Secret volumes swap a symlink: stat follows it. */
    if (stat(tls->cert_file, &cst) != 0 || stat(tls->key_file, &kst) != 0)
        return 0;
    if (!changed(&cst, &tls->cert_st) && !changed(&kst, &tls->key_st))
        return 0;
    /* Seen, good or not: a pair that does not load is reported once, and
     * tried again only when a file changes again. */
    tls->cert_st = cst;
    tls->key_st = kst;
    if ((rc = load_pair(tls, &p, &cst, &kst, err)) != 0)
        return rc;
    pthread_mutex_lock(&tls->mu);
    tls->current->retired_next = tls->retired;
    tls->retired = tls->current;
    tls->current = p;
    pthread_mutex_unlock(&tls->mu);
    return 1;
}

void dg_tls_current(dg_tls_t *tls, gnutls_pcert_st **pcert, unsigned int *pcert_length,
                    gnutls_privkey_t *privkey)
{
    pthread_mutex_lock(&tls->mu);
    *pcert = tls->current->certs;
    *pcert_length = tls->current->ncerts;
    *privkey = tls->current->key;
    pthread_mutex_unlock(&tls->mu);
}

const char *dg_tls_client_ca_pem(const dg_tls_t *tls)
{
    return tls->client_ca;
}

/* Is @name (@n bytes) one of --client-allowed-names? */
static bool allowed_name(const dg_tls_t *tls, const char *name, size_t n)
{
    const char *p = tls->client_names;

    while ((p = strstr(p, name)) != NULL && n > 0) {
        if (p[-1] == ',' && p[n] == ',')
            return true;
        p++;
    }
    return false;
}

/* The leaf's common name or one of its DNS names must be allowed. */
static bool leaf_named(const dg_tls_t *tls, gnutls_x509_crt_t leaf)
{
    char name[256];
    size_t size = sizeof name;
    unsigned type;

    if (tls->client_names == NULL)
        return true;
    if (gnutls_x509_crt_get_dn_by_oid(leaf, GNUTLS_OID_X520_COMMON_NAME, 0, 0, name, &size) == 0 &&
        strlen(name) == size && allowed_name(tls, name, size))
        return true;
    for (unsigned i = 0;; i++) {
        int t;

        size = sizeof name;
        t = gnutls_x509_crt_get_subject_alt_name2(leaf, i, name, &size, &type, NULL);
        if (t == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            return false;
        if (t == GNUTLS_SAN_DNSNAME && size < sizeof name && strlen(name) == size &&
            allowed_name(tls, name, size))
            return true;
    }
}

bool dg_tls_client_verified(const dg_tls_t *tls, gnutls_session_t session)
{
    /* A server certificate from the same CA must not pass for the API server. */
    gnutls_typed_vdata_st purpose = {GNUTLS_DT_KEY_PURPOSE_OID,
                                     (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0};
    const gnutls_datum_t *chain;
    unsigned int n = 0, status = 1;
    gnutls_x509_crt_t crts[MAX_CHAIN];
    unsigned int ncrts = 0;
    bool ok;

    if (tls->trust == NULL)
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
         gnutls_x509_trust_list_verify_crt2(tls->trust, crts, ncrts, &purpose, 1, 0, &status,
                                            NULL) == 0 &&
         status == 0 && leaf_named(tls, crts[0]);
    for (unsigned i = 0; i < ncrts; i++)
        gnutls_x509_crt_deinit(crts[i]);
    return ok;
}

double dg_tls_expiry_seconds(dg_tls_t *tls)
{
    double s;

    pthread_mutex_lock(&tls->mu);
    s = tls->current ? difftime(tls->current->not_after, time(NULL)) : 0;
    pthread_mutex_unlock(&tls->mu);
    return s;
}

dg_tls_t *dg_tls_new(const char *cert_file, const char *key_file, const char *client_ca,
                     const char *client_names, dg_err_t *err)
{
    dg_tls_t *tls = calloc(1, sizeof *tls);

    if (tls == NULL) {
        dg_err_set(err, DG_ENOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&tls->mu, NULL);
    if (tls_init(tls, cert_file, key_file, client_ca, client_names, err) != 0)
        dg_tls_free(&tls);
    return tls;
}

void dg_tls_free(dg_tls_t **tp)
{
    dg_tls_t *tls = tp ? *tp : NULL;

    if (tls == NULL)
        return;
    pair_free(tls->current);
    while (tls->retired) {
        pair_t *next = tls->retired->retired_next;

        pair_free(tls->retired);
        tls->retired = next;
    }
    if (tls->trust)
        gnutls_x509_trust_list_deinit(tls->trust, 1);
    free(tls->cert_file);
    free(tls->key_file);
    free(tls->client_ca);
    free(tls->client_names);
    pthread_mutex_destroy(&tls->mu);
    free(tls);
    *tp = NULL;
}
