/* webhook/tls.h: the serving certificate, handed to libmicrohttpd per
 * handshake through GnuTLS's certificate callback (http.c finds the gate's
 * dg_tls_t from the session) so a rotated pair is picked up without a
 * restart; TLS 1.2/1.3 only, AEAD ciphers only; and
 * optional client-certificate verification (--client-ca).
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_TLS_H
#define DG_TLS_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <stdbool.h>

#include "err.h"

/* TLS 1.2 and 1.3, ECDHE, AEAD ciphers, no CBC, no RSA key exchange. */
#define DG_TLS_PRIORITIES                                                                         \
    "SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:"         \
    "+CHACHA20-POLY1305:+AES-128-GCM:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:"            \
    "%SERVER_PRECEDENCE"

typedef struct dg_tls dg_tls_t; /* opaque; one gate's, shared by its handshake threads */

/** Load the pair (PEM) and, when @client_ca is not NULL, the CA bundle that
 *  client certificates must chain to; @client_names (comma list, or NULL for
 *  any) are the names such a certificate may carry. Returns NULL with @err
 *  set (unreadable file, key not matching...); caller frees with
 *  dg_tls_free(). */
dg_tls_t *dg_tls_new(const char *cert_file, const char *key_file, const char *client_ca,
                     const char *client_names, dg_err_t *err);

/** Reload the pair if either file changed since the last look. A pair that
 *  does not load (half-written, key not matching) keeps the old one serving
 *  and is reported once: it is tried again when a file changes again.
 *  Returns 1 when reloaded, 0 when unchanged, or a DG_E* code. One caller
 *  at a time (the housekeeping loop); safe against handshakes. */
int dg_tls_reload(dg_tls_t *tls, dg_err_t *err);

/** The pair serving now, for a GnuTLS certificate callback: borrowed, and
 *  valid until dg_tls_free() (a replaced pair is retired, not freed). */
void dg_tls_current(dg_tls_t *tls, gnutls_pcert_st **pcert, unsigned int *pcert_length,
                    gnutls_privkey_t *privkey);

/** The client CA bundle (PEM text) for MHD_OPTION_HTTPS_MEM_TRUST, or NULL
 *  (borrowed: lives as long as @tls). */
const char *dg_tls_client_ca_pem(const dg_tls_t *tls);

/** Did the peer of @session present a certificate that verifies against
 *  the client CA, for TLS client authentication (extended key usage
 *  clientAuth along the chain), with an allowed name? (Always true when no
 *  --client-ca is configured.) */
bool dg_tls_client_verified(const dg_tls_t *tls, gnutls_session_t session);

/** Seconds until the serving certificate expires (negative once expired). */
double dg_tls_expiry_seconds(dg_tls_t *tls);

/** Free everything (after the server has stopped) and set *@tls to NULL.
 *  NULL-safe. */
void dg_tls_free(dg_tls_t **tls);

#endif
