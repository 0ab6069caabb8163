#ifndef SHOAL_CLDAP_SHIM_H
#define SHOAL_CLDAP_SHIM_H
#define LDAP_DEPRECATED 0
#include <ldap.h>
#include <lber.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

/* Macros and variadic calls that Swift cannot import, as static inline wrappers. */

static inline int shoal_ldap_set_int(LDAP *ld, int option, int value) {
    return ldap_set_option(ld, option, &value);
}

static inline int shoal_ldap_set_on(LDAP *ld, int option) {
    return ldap_set_option(ld, option, LDAP_OPT_ON);
}

static inline int shoal_ldap_set_off(LDAP *ld, int option) {
    return ldap_set_option(ld, option, LDAP_OPT_OFF);
}

static inline int shoal_ldap_set_string(LDAP *ld, int option, const char *value) {
    return ldap_set_option(ld, option, value);
}

static inline int shoal_ldap_set_timeout(LDAP *ld, int option, long seconds, long microseconds) {
    struct timeval tv;
    tv.tv_sec = seconds;
    tv.tv_usec = microseconds;
    return ldap_set_option(ld, option, &tv);
}

/* Global options (ld == NULL), e.g. the TLS CA file before the first connection. */
static inline int shoal_ldap_set_global_string(int option, const char *value) {
    return ldap_set_option(NULL, option, value);
}

static inline int shoal_ldap_set_global_int(int option, int value) {
    return ldap_set_option(NULL, option, &value);
}

/* Simple bind: LDAP_SASL_SIMPLE is a macro cast Swift does not import. */
static inline int shoal_ldap_simple_bind(LDAP *ld, const char *dn, const char *password, size_t password_len) {
    struct berval cred;
    cred.bv_val = (char *)password;
    cred.bv_len = (ber_len_t)password_len;
    return ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
}

static inline int shoal_ldap_search(LDAP *ld, const char *base, int scope, const char *filter,
                                    char **attrs, long timeout_seconds, int size_limit, LDAPMessage **result) {
    struct timeval tv;
    tv.tv_sec = timeout_seconds;
    tv.tv_usec = 0;
    return ldap_search_ext_s(ld, base, scope, filter, attrs, 0, NULL, NULL,
                             timeout_seconds > 0 ? &tv : NULL, size_limit, result);
}

static inline const char *shoal_ldap_error(int code) {
    return ldap_err2string(code);
}

/* One attribute's values of an entry, copied into a NULL-terminated array of berval pointers. */
static inline struct berval **shoal_ldap_values(LDAP *ld, LDAPMessage *entry, const char *attribute) {
    return ldap_get_values_len(ld, entry, attribute);
}

static inline int shoal_ldap_count_values(struct berval **values) {
    return ldap_count_values_len(values);
}

/* Builds an LDAPMod for add/modify: op is LDAP_MOD_ADD/REPLACE/DELETE (| LDAP_MOD_BVALUES implied). */
static inline LDAPMod *shoal_ldap_mod_new(int op, const char *type, const char **values, int count) {
    LDAPMod *mod = calloc(1, sizeof(LDAPMod));
    if (!mod) return NULL;
    mod->mod_op = op | LDAP_MOD_BVALUES;
    mod->mod_type = strdup(type);
    mod->mod_bvalues = calloc((size_t)count + 1, sizeof(struct berval *));
    for (int i = 0; i < count; i++) {
        struct berval *bv = calloc(1, sizeof(struct berval));
        bv->bv_len = strlen(values[i]);
        bv->bv_val = strdup(values[i]);
        mod->mod_bvalues[i] = bv;
    }
    return mod;
}

static inline void shoal_ldap_mods_free(LDAPMod **mods) {
    ldap_mods_free(mods, 1);
}

static inline int shoal_ldap_op_add(void) { return LDAP_MOD_ADD; }
static inline int shoal_ldap_op_replace(void) { return LDAP_MOD_REPLACE; }
static inline int shoal_ldap_op_delete(void) { return LDAP_MOD_DELETE; }

/* Search scopes: LDAP_SCOPE_* are cast macros Swift does not import. */
static inline int shoal_ldap_scope_base(void) { return LDAP_SCOPE_BASE; }
static inline int shoal_ldap_scope_one(void) { return LDAP_SCOPE_ONELEVEL; }
static inline int shoal_ldap_scope_sub(void) { return LDAP_SCOPE_SUBTREE; }

/* The server's diagnostic message for the last operation, or NULL; free it with ldap_memfree. */
static inline char *shoal_ldap_diagnostic(LDAP *ld) {
    char *message = NULL;
    if (ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &message) != LDAP_OPT_SUCCESS) return NULL;
    return message;
}
#endif
