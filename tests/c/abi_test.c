/*
 * C test of the PhotoUpdatePolicy C ABI, compiled against the generated header with
 * gcc -std=c11 -Wall -Wextra -Werror and linked with libphoto_update_policy.so.
 *
 * It talks to a running Graph emulator (tests/emulator):
 *   PUP_EMULATOR_URL  base URL, e.g. http://127.0.0.1:41234
 *   PUP_TENANT        tenant ID the token was minted for
 *   PUP_TOKEN         an access token with PeopleSettings.ReadWrite.All (minted by run.sh)
 * and uses the emulator's control API (plain HTTP over a socket) for faults and extra tokens.
 *
 * Usage: abi_test                 every check; ends with "N passed, 0 failed"
 *        abi_test --leak-loop N   N get calls through the ABI (for valgrind's leak check)
 *
 * Each check prints one line; exit status is non-zero when any check failed.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "photo_update_policy.h"

static int passed = 0;
static int failed = 0;

static void check(int ok, const char *what) {
    if (ok) {
        passed++;
        printf("ok   %s\n", what);
    } else {
        failed++;
        printf("FAIL %s\n", what);
    }
    fflush(stdout);
}

/* ---------- small helpers ---------- */

static const uint8_t *u8(const char *s) { return (const uint8_t *)s; }

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Copies a borrowed (ptr,len) string into a NUL-terminated heap string ("" for NULL,0). */
static char *copy_str(const uint8_t *p, size_t n) {
    char *s = malloc(n + 1);
    if (!s) abort();
    if (n) memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static char *result_text(const PupResult *r) {
    const uint8_t *p = NULL;
    size_t n = 0;
    if (pup_result_json(r, &p, &n) != PUP_STATUS_OK) return copy_str(u8(""), 0);
    return copy_str(p, n);
}

typedef PupStatus (*ErrorStrFn)(const PupError *, const uint8_t **, size_t *);

static char *error_field(const PupError *e, ErrorStrFn fn) {
    const uint8_t *p = NULL;
    size_t n = 0;
    if (fn(e, &p, &n) != PUP_STATUS_OK) return copy_str(u8("<accessor failed>"), 17);
    return copy_str(p, n);
}

static int error_message_contains(const PupError *e, const char *needle) {
    char *m = error_field(e, pup_error_message);
    int ok = strstr(m, needle) != NULL;
    if (!ok) printf("     message was: %s\n", m);
    free(m);
    return ok;
}

/* ---------- control API over a plain socket ---------- */

static char emu_host[64];
static int emu_port;

/* Sends one HTTP/1.1 request to the emulator and returns the status (0 on failure); the body
 * is returned in *out_body (malloc'd) when out_body is not NULL. */
static int http(const char *method, const char *path, const char *body, char **out_body) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)emu_port);
    inet_pton(AF_INET, emu_host, &addr.sin_addr);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return 0;
    }
    size_t body_len = body ? strlen(body) : 0;
    char head[512];
    int hn = snprintf(head, sizeof head,
                      "%s %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                      method, path, emu_host, emu_port, body_len);
    if (write(fd, head, (size_t)hn) != hn ||
        (body_len && write(fd, body, body_len) != (ssize_t)body_len)) {
        close(fd);
        return 0;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (!buf) abort();
    for (;;) {
        if (len + 1024 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (!buf) abort();
        }
        ssize_t got = read(fd, buf + len, cap - len - 1);
        if (got <= 0) break;
        len += (size_t)got;
    }
    close(fd);
    buf[len] = '\0';
    int status = 0;
    sscanf(buf, "HTTP/1.1 %d", &status);
    if (out_body) {
        char *start = strstr(buf, "\r\n\r\n");
        *out_body = copy_str(u8(start ? start + 4 : ""), start ? strlen(start + 4) : 0);
    }
    free(buf);
    return status;
}

/* Mints a token for the tenant with the given application permission (malloc'd, or NULL). */
static char *mint_token_json(const char *req);

/* A delegated token (scp) without the wids claim, so it lists no directory roles: it passes the
   library's permission pre-flight (with a warning), and Graph refuses the user with 403 (no
   photo-managing role). */
static char *mint_delegated_token(const char *tenant, const char *scope) {
    char req[256];
    snprintf(req, sizeof req, "{\"tenantId\":\"%s\",\"scp\":\"%s\",\"omitWids\":true}", tenant, scope);
    return mint_token_json(req);
}

static char *mint_token_json(const char *req) {
    char *body = NULL;
    if (http("POST", "/_emulator/tokens", req, &body) != 200) {
        free(body);
        return NULL;
    }
    char *start = strstr(body, "\"access_token\":\"");
    char *token = NULL;
    if (start) {
        start += strlen("\"access_token\":\"");
        char *end = strchr(start, '"');
        if (end) token = copy_str(u8(start), (size_t)(end - start));
    }
    free(body);
    return token;
}

/* ---------- events ---------- */

static atomic_int event_count;
static atomic_int event_bad_utf8_len;

static void on_event(void *user_data, uint32_t level, const uint8_t *msg, size_t len) {
    atomic_int *counter = user_data;
    if (level > PUP_EVENT_LEVEL_INFORMATION || msg == NULL || len == 0)
        atomic_fetch_add(&event_bad_utf8_len, 1);
    atomic_fetch_add(counter, 1);
}

/* ---------- client construction ---------- */

static const char *emu_url;
static const char *tenant;

static char *config_json(int max_retries) {
    char *cfg = malloc(1024);
    if (!cfg) abort();
    snprintf(cfg, 1024,
             "{\"tenantId\":\"%s\",\"graphEndpoint\":\"%s\",\"authorityEndpoint\":\"%s\","
             "\"allowInsecureLoopback\":true,\"auth\":{\"mode\":\"accessToken\"},"
             "\"timeouts\":{\"connectMs\":5000,\"totalMs\":30000},"
             "\"retry\":{\"maxRetries\":%d,\"baseDelayMs\":10}}",
             tenant, emu_url, emu_url, max_retries);
    return cfg;
}

static PupClient *make_client(const char *token, int max_retries) {
    char *cfg = config_json(max_retries);
    PupClient *client = NULL;
    PupError *error = NULL;
    PupStatus st = pup_client_new(u8(cfg), strlen(cfg), u8(token), strlen(token), &client, &error);
    if (st != PUP_STATUS_OK) {
        char *m = error_field(error, pup_error_message);
        printf("     pup_client_new failed (%u): %s\n", (unsigned)st, m);
        free(m);
        pup_error_free(error);
        client = NULL;
    }
    free(cfg);
    return client;
}

/* ---------- cancel thread ---------- */

struct cancel_args {
    const PupCallContext *ctx;
    long delay_ms;
};

static void *cancel_later(void *p) {
    struct cancel_args *a = p;
    sleep_ms(a->delay_ms);
    pup_call_context_cancel(a->ctx);
    return NULL;
}

/* ---------- checks ---------- */

static void check_versions(void) {
    check(pup_abi_version() == PUP_ABI_VERSION, "pup_abi_version() == PUP_ABI_VERSION");
    const uint8_t *p = NULL;
    size_t n = 0;
    PupStatus st = pup_library_version(&p, &n);
    char *v = st == PUP_STATUS_OK ? copy_str(p, n) : copy_str(u8(""), 0);
    check(st == PUP_STATUS_OK && n > 0 && strchr(v, '.') != NULL,
          "pup_library_version gives a dotted version");
    printf("     library version %s\n", v);
    free(v);
    check(pup_library_version(NULL, &n) == PUP_STATUS_NULL_ARGUMENT,
          "pup_library_version(NULL out_ptr) -> NULL_ARGUMENT");
    check(pup_library_version(&p, NULL) == PUP_STATUS_NULL_ARGUMENT,
          "pup_library_version(NULL out_len) -> NULL_ARGUMENT");
}

static void check_client_new_inputs(const char *token) {
    char *cfg = config_json(0);
    size_t cfg_len = strlen(cfg);
    PupClient *client = (PupClient *)0x1; /* sentinel: must stay untouched on failure */
    PupError *error = NULL;

    PupStatus st = pup_client_new(NULL, 5, u8(token), strlen(token), &client, &error);
    check(st == PUP_STATUS_NULL_ARGUMENT && pup_error_status(error) == PUP_STATUS_NULL_ARGUMENT &&
              error_message_contains(error, "config_json") && client == (PupClient *)0x1,
          "pup_client_new(NULL config, len 5) -> NULL_ARGUMENT naming config_json, out untouched");
    pup_error_free(error);
    error = NULL;

    st = pup_client_new(u8(cfg), cfg_len, NULL, 3, &client, &error);
    check(st == PUP_STATUS_NULL_ARGUMENT && error_message_contains(error, "secret"),
          "pup_client_new(NULL secret, len 3) -> NULL_ARGUMENT naming secret");
    pup_error_free(error);
    error = NULL;

    st = pup_client_new(u8(cfg), cfg_len, u8(token), strlen(token), NULL, &error);
    check(st == PUP_STATUS_NULL_ARGUMENT && error_message_contains(error, "out_client"),
          "pup_client_new(NULL out_client) -> NULL_ARGUMENT naming out_client");
    pup_error_free(error);
    error = NULL;

    st = pup_client_new(u8(cfg), cfg_len, u8(token), strlen(token), &client, NULL);
    check(st == PUP_STATUS_OK && client != (PupClient *)0x1 && client != NULL,
          "pup_client_new(NULL out_error) succeeds with valid input");
    if (st == PUP_STATUS_OK) pup_client_free(client);
    client = (PupClient *)0x1;

    st = pup_client_new(NULL, 0, u8(token), strlen(token), &client, NULL);
    check(st == PUP_STATUS_INVALID_JSON && client == (PupClient *)0x1,
          "pup_client_new(NULL,0 config, NULL out_error) -> INVALID_JSON, no crash");

    const uint8_t bad_utf8[] = {'{', '"', 0xC3, 0x28, '"', '}'};
    st = pup_client_new(bad_utf8, sizeof bad_utf8, u8(token), strlen(token), &client, &error);
    check(st == PUP_STATUS_INVALID_UTF8 && pup_error_status(error) == PUP_STATUS_INVALID_UTF8 &&
              error_message_contains(error, "offset 2"),
          "pup_client_new(invalid UTF-8) -> INVALID_UTF8 with the offset");
    pup_error_free(error);
    error = NULL;

    /* Over-length: the length is checked before anything is read, so a short buffer is safe. */
    st = pup_client_new(u8(cfg), (size_t)PUP_MAX_INPUT_BYTES + 1, u8(token), strlen(token),
                        &client, &error);
    check(st == PUP_STATUS_INVALID_ARGUMENT && error_message_contains(error, "16777216"),
          "pup_client_new(config over 16 MiB) -> INVALID_ARGUMENT naming the limit");
    pup_error_free(error);
    error = NULL;

    st = pup_client_new(u8(cfg), cfg_len, u8(token), (size_t)PUP_MAX_INPUT_BYTES + 1, &client,
                        &error);
    check(st == PUP_STATUS_INVALID_ARGUMENT && error_message_contains(error, "secret"),
          "pup_client_new(secret over 16 MiB) -> INVALID_ARGUMENT naming secret");
    pup_error_free(error);
    error = NULL;

    const char *unknown = "{\"graphEndpiont\":\"http://127.0.0.1:1\"}";
    st = pup_client_new(u8(unknown), strlen(unknown), u8(token), strlen(token), &client, &error);
    check(st == PUP_STATUS_INVALID_JSON && error_message_contains(error, "graphEndpiont"),
          "pup_client_new(unknown config field) -> INVALID_JSON naming the field");
    pup_error_free(error);
    error = NULL;

    const char *notjson = "{cloud:";
    st = pup_client_new(u8(notjson), strlen(notjson), u8(token), strlen(token), &client, &error);
    check(st == PUP_STATUS_INVALID_JSON, "pup_client_new(malformed JSON) -> INVALID_JSON");
    pup_error_free(error);
    error = NULL;

    const char *badcloud = "{\"cloud\":\"Mars\"}";
    st = pup_client_new(u8(badcloud), strlen(badcloud), u8(token), strlen(token), &client,
                        &error);
    check(st != PUP_STATUS_OK && client == (PupClient *)0x1 && error_message_contains(error, "Mars"),
          "pup_client_new(cloud Mars) fails naming the value");
    pup_error_free(error);
    free(cfg);
}

static void check_policy_round_trip(PupClient *client) {
    PupResult *result = NULL;
    PupError *error = NULL;

    /* Start from the default. */
    PupStatus st = pup_policy_reset(client, NULL, 0, NULL, &result, &error);
    check(st == PUP_STATUS_OK, "pup_policy_reset -> OK");
    if (st == PUP_STATUS_OK) {
        char *j = result_text(result);
        check(strstr(j, "\"verified\":true") != NULL, "reset result says verified:true");
        free(j);
    }
    pup_result_free(result);
    pup_error_free(error);
    result = NULL;
    error = NULL;

    atomic_store(&event_count, 0);
    PupCallContext *ctx = pup_call_context_new(on_event, &event_count);
    check(ctx != NULL, "pup_call_context_new(callback) -> handle");
    st = pup_policy_get(client, ctx, &result, &error);
    char *j = st == PUP_STATUS_OK ? result_text(result) : copy_str(u8(""), 0);
    check(st == PUP_STATUS_OK && strstr(j, "\"source\":null") != NULL &&
              strstr(j, "\"allowedRoles\":[]") != NULL,
          "pup_policy_get -> default policy (source null, allowedRoles [])");
    check(atomic_load(&event_count) > 0 && atomic_load(&event_bad_utf8_len) == 0,
          "event callback received well-formed events during get");
    free(j);
    pup_result_free(result);
    result = NULL;

    const char *change =
        "{\"source\":\"cloud\",\"allowedRoles\":[\"People Administrator\",\"  {FE930BE7-5E62-47DB-91AF-98C3A49A38B1}\"]}";
    st = pup_policy_plan(client, u8(change), strlen(change), ctx, &result, &error);
    j = st == PUP_STATUS_OK ? result_text(result) : copy_str(u8(""), 0);
    check(st == PUP_STATUS_OK && strstr(j, "\"hasChanges\":true") != NULL,
          "pup_policy_plan -> hasChanges true");
    free(j);
    pup_result_free(result);
    result = NULL;

    st = pup_policy_apply(client, u8(change), strlen(change), ctx, &result, &error);
    j = st == PUP_STATUS_OK ? result_text(result) : copy_str(u8(""), 0);
    check(st == PUP_STATUS_OK && strstr(j, "\"applied\":true") != NULL,
          "pup_policy_apply -> applied true");
    free(j);
    pup_result_free(result);
    result = NULL;

    st = pup_policy_get(client, NULL, &result, &error);
    j = st == PUP_STATUS_OK ? result_text(result) : copy_str(u8(""), 0);
    check(st == PUP_STATUS_OK && strstr(j, "\"source\":\"cloud\"") != NULL &&
              strstr(j, "024906de-61e5-49c8-8572-40335f1e0e10") != NULL &&
              strstr(j, "fe930be7-5e62-47db-91af-98c3a49a38b1") != NULL,
          "pup_policy_get after apply shows source cloud and both roles");
    free(j);
    pup_result_free(result);
    result = NULL;

    st = pup_policy_apply(client, u8(change), strlen(change), ctx, &result, &error);
    j = st == PUP_STATUS_OK ? result_text(result) : copy_str(u8(""), 0);
    check(st == PUP_STATUS_OK && strstr(j, "\"applied\":false") != NULL,
          "pup_policy_apply of the same change -> applied false");
    free(j);
    pup_result_free(result);
    result = NULL;

    st = pup_policy_reset(client, NULL, 0, ctx, &result, &error);
    j = st == PUP_STATUS_OK ? result_text(result) : copy_str(u8(""), 0);
    check(st == PUP_STATUS_OK && strstr(j, "\"verified\":true") != NULL,
          "pup_policy_reset after apply -> verified");
    free(j);
    pup_result_free(result);
    result = NULL;

    st = pup_policy_get(client, NULL, &result, &error);
    j = st == PUP_STATUS_OK ? result_text(result) : copy_str(u8(""), 0);
    check(st == PUP_STATUS_OK && strstr(j, "\"source\":null") != NULL &&
              strstr(j, "\"allowedRoles\":[]") != NULL,
          "pup_policy_get after reset -> default again");
    free(j);
    pup_result_free(result);
    pup_call_context_free(ctx);
    pup_error_free(error);
}

/* Graph requests the emulator logged since the log was last cleared, with this method. */
static int graph_requests(const char *method) {
    char *body = NULL;
    if (http("GET", "/_emulator/requests", NULL, &body) != 200) {
        free(body);
        return -1;
    }
    char needle[64];
    snprintf(needle, sizeof needle, "\"route\":\"graph\",\"method\":\"%s\"", method);
    int count = 0;
    for (const char *at = strstr(body, needle); at; at = strstr(at + 1, needle)) count++;
    free(body);
    return count;
}

/* A confirmed change through a plan handle: one GET and one PATCH, or a re-read on request. */
static void check_plan_handles(PupClient *client, const char *token) {
    PupResult *result = NULL;
    PupError *error = NULL;
    PupPlan *plan = NULL;
    check(PUP_EVENT_LEVEL_VERBOSE == 0 && PUP_EVENT_LEVEL_DEBUG == 1 &&
              PUP_EVENT_LEVEL_WARNING == 2 && PUP_EVENT_LEVEL_PROGRESS == 3 &&
              PUP_EVENT_LEVEL_INFORMATION == 4,
          "PupEventLevel values are the documented ones");

    PupStatus st = pup_policy_reset(client, NULL, 0, NULL, &result, &error);
    check(st == PUP_STATUS_OK, "plan handles: start from the default");
    pup_result_free(result);
    result = NULL;
    http("DELETE", "/_emulator/requests", NULL, NULL);

    const char *change = "{\"source\":\"cloud\",\"allowedRoles\":[\"People Administrator\"]}";
    st = pup_policy_plan_begin(client, u8(change), strlen(change), NULL, &plan, &error);
    check(st == PUP_STATUS_OK && plan != NULL, "pup_policy_plan_begin -> plan");
    const uint8_t *p = NULL;
    size_t n = 0;
    st = pup_plan_json(plan, &p, &n);
    char *j = st == PUP_STATUS_OK ? copy_str(p, n) : copy_str(u8(""), 0);
    check(strstr(j, "\"hasChanges\":true") != NULL && strstr(j, "\"patchBody\"") != NULL,
          "pup_plan_json -> the Plan JSON with hasChanges true");
    free(j);
    check(graph_requests("GET") == 1 && graph_requests("PATCH") == 0,
          "beginning a plan sends one GET and no write");

    PupCallContext *ctx = pup_call_context_new(on_event, &event_count);
    st = pup_policy_plan_apply(client, plan, 0, ctx, &result, &error);
    j = st == PUP_STATUS_OK ? result_text(result) : copy_str(u8(""), 0);
    check(st == PUP_STATUS_OK && strstr(j, "\"applied\":true") != NULL &&
              strstr(j, "\"requests\":2") != NULL,
          "pup_policy_plan_apply -> applied, requests 2");
    free(j);
    pup_result_free(result);
    result = NULL;
    check(graph_requests("GET") == 1 && graph_requests("PATCH") == 1,
          "a confirmed change costs one GET and one PATCH");

    st = pup_policy_plan_apply(client, plan, 0, NULL, &result, &error);
    check(st == PUP_STATUS_INVALID_ARGUMENT && error_message_contains(error, "already applied") &&
              result == NULL,
          "a plan is applied once: the second apply -> INVALID_ARGUMENT");
    pup_error_free(error);
    error = NULL;
    pup_plan_free(plan);
    plan = NULL;

    /* With PUP_APPLY_REREAD the policy is read again before the write. */
    http("DELETE", "/_emulator/requests", NULL, NULL);
    const char *back = "{\"source\":\"onPremises\",\"allowedRoles\":[]}";
    st = pup_policy_plan_begin(client, u8(back), strlen(back), ctx, &plan, &error);
    check(st == PUP_STATUS_OK, "pup_policy_plan_begin (second change) -> plan");
    st = pup_policy_plan_apply(client, plan, PUP_APPLY_REREAD, ctx, &result, &error);
    check(st == PUP_STATUS_OK && graph_requests("GET") == 2 && graph_requests("PATCH") == 1,
          "PUP_APPLY_REREAD -> the policy is read again, then one PATCH");
    pup_result_free(result);
    result = NULL;
    pup_plan_free(plan);
    plan = NULL;

    /* Refusals: nothing is sent. */
    http("DELETE", "/_emulator/requests", NULL, NULL);
    st = pup_policy_plan_begin(client, u8(change), strlen(change), NULL, &plan, &error);
    check(st == PUP_STATUS_OK, "pup_policy_plan_begin (third change) -> plan");
    PupClient *other = make_client(token, 0);
    st = pup_policy_plan_apply(other, plan, 0, NULL, &result, &error);
    check(st == PUP_STATUS_INVALID_ARGUMENT && error_message_contains(error, "another client"),
          "a plan applied with another client -> INVALID_ARGUMENT");
    pup_error_free(error);
    error = NULL;
    st = pup_policy_plan_apply(client, plan, 0x80, NULL, &result, &error);
    check(st == PUP_STATUS_INVALID_ARGUMENT && error_message_contains(error, "flags"),
          "an unknown flag -> INVALID_ARGUMENT naming flags");
    pup_error_free(error);
    error = NULL;
    check(graph_requests("PATCH") == 0, "refused applies send nothing");
    pup_plan_free(plan);
    plan = NULL;
    pup_client_free(other);

    const char *bad = "{\"allowedRoles\":[\"Peple Administrator\"]}";
    http("DELETE", "/_emulator/requests", NULL, NULL);
    st = pup_policy_plan_begin(client, u8(bad), strlen(bad), NULL, &plan, &error);
    check(st == PUP_STATUS_INVALID_ARGUMENT && plan == NULL &&
              error_message_contains(error, "People Administrator") &&
              graph_requests("GET") == 0,
          "an unknown role -> INVALID_ARGUMENT naming the closest role, before any request");
    pup_error_free(error);
    error = NULL;

    /* A reset through a plan: one GET to plan; the write and the read-back that verifies it. */
    http("DELETE", "/_emulator/requests", NULL, NULL);
    st = pup_policy_reset_begin(client, NULL, 0, NULL, &plan, &error);
    check(st == PUP_STATUS_OK && plan != NULL, "pup_policy_reset_begin -> plan");
    st = pup_plan_json(plan, &p, &n);
    j = st == PUP_STATUS_OK ? copy_str(p, n) : copy_str(u8(""), 0);
    check(strstr(j, "\"hasChanges\":true") != NULL, "a reset plan's JSON says what changes");
    free(j);
    st = pup_access_plan_impact(client, plan, NULL, &result, &error);
    j = st == PUP_STATUS_OK ? result_text(result) : copy_str(u8(""), 0);
    check(st == PUP_STATUS_OK && strstr(j, "every user may change their own photo") != NULL,
          "pup_access_plan_impact -> the impact of the reset plan");
    free(j);
    pup_result_free(result);
    result = NULL;
    check(graph_requests("GET") == 1 && graph_requests("PATCH") == 0,
          "planning a reset and its impact read the policy once and write nothing");
    other = make_client(token, 0);
    st = pup_access_plan_impact(other, plan, NULL, &result, &error);
    check(st == PUP_STATUS_INVALID_ARGUMENT && error_message_contains(error, "another client"),
          "the impact of a plan with another client -> INVALID_ARGUMENT");
    pup_error_free(error);
    error = NULL;
    pup_client_free(other);
    st = pup_policy_plan_apply(client, plan, 0, NULL, &result, &error);
    j = st == PUP_STATUS_OK ? result_text(result) : copy_str(u8(""), 0);
    check(st == PUP_STATUS_OK && strstr(j, "\"verified\":true") != NULL &&
              strstr(j, "\"requests\":3") != NULL,
          "applying a reset plan -> the Reset JSON, verified, requests 3");
    free(j);
    pup_result_free(result);
    result = NULL;
    check(graph_requests("GET") == 2 && graph_requests("PATCH") == 1,
          "a reset costs GET, PATCH and the verifying GET");
    pup_plan_free(plan);
    plan = NULL;
    check(pup_policy_reset_begin(client, NULL, 0, NULL, NULL, &error) == PUP_STATUS_NULL_ARGUMENT,
          "pup_policy_reset_begin(out_plan NULL) -> NULL_ARGUMENT");
    pup_error_free(error);
    error = NULL;

    check(pup_policy_plan_begin(client, u8(change), strlen(change), NULL, NULL, &error) ==
              PUP_STATUS_NULL_ARGUMENT,
          "pup_policy_plan_begin(out_plan NULL) -> NULL_ARGUMENT");
    pup_error_free(error);
    error = NULL;
    check(pup_policy_plan_apply(client, NULL, 0, NULL, &result, &error) == PUP_STATUS_NULL_ARGUMENT,
          "pup_policy_plan_apply(plan NULL) -> NULL_ARGUMENT");
    pup_error_free(error);
    check(pup_plan_json(NULL, &p, &n) == PUP_STATUS_NULL_ARGUMENT,
          "pup_plan_json(NULL) -> NULL_ARGUMENT");
    pup_plan_free(NULL);
    pup_call_context_free(ctx);
}

static void check_policy_inputs(PupClient *client) {
    PupResult *result = (PupResult *)0x1;
    PupError *error = NULL;
    const char *change = "{\"source\":\"cloud\"}";
    const uint8_t bad_utf8[] = {'{', 0xFF, '}'};
    PupStatus st;

#define EXPECT(call, status, what)                                                        \
    do {                                                                                  \
        error = NULL;                                                                     \
        st = (call);                                                                      \
        check(st == (status) && (error == NULL || pup_error_status(error) == (status)) && \
                  result == (PupResult *)0x1,                                             \
              what);                                                                      \
        pup_error_free(error);                                                            \
    } while (0)

    EXPECT(pup_policy_get(NULL, NULL, &result, &error), PUP_STATUS_NULL_ARGUMENT,
           "pup_policy_get(NULL client) -> NULL_ARGUMENT");
    EXPECT(pup_policy_get(client, NULL, NULL, &error), PUP_STATUS_NULL_ARGUMENT,
           "pup_policy_get(NULL out_result) -> NULL_ARGUMENT");
    EXPECT(pup_policy_get(NULL, NULL, &result, NULL), PUP_STATUS_NULL_ARGUMENT,
           "pup_policy_get(NULL client, NULL out_error) -> NULL_ARGUMENT");

    EXPECT(pup_policy_plan(NULL, u8(change), strlen(change), NULL, &result, &error),
           PUP_STATUS_NULL_ARGUMENT, "pup_policy_plan(NULL client) -> NULL_ARGUMENT");
    EXPECT(pup_policy_plan(client, NULL, 4, NULL, &result, &error), PUP_STATUS_NULL_ARGUMENT,
           "pup_policy_plan(NULL change_json, len 4) -> NULL_ARGUMENT");
    EXPECT(pup_policy_plan(client, u8(change), strlen(change), NULL, NULL, &error),
           PUP_STATUS_NULL_ARGUMENT, "pup_policy_plan(NULL out_result) -> NULL_ARGUMENT");
    EXPECT(pup_policy_plan(client, bad_utf8, sizeof bad_utf8, NULL, &result, &error),
           PUP_STATUS_INVALID_UTF8, "pup_policy_plan(invalid UTF-8) -> INVALID_UTF8");
    EXPECT(pup_policy_plan(client, u8(change), (size_t)PUP_MAX_INPUT_BYTES + 1, NULL, &result,
                           &error),
           PUP_STATUS_INVALID_ARGUMENT, "pup_policy_plan(over 16 MiB) -> INVALID_ARGUMENT");
    EXPECT(pup_policy_plan(client, u8("[1,2"), 4, NULL, &result, &error),
           PUP_STATUS_INVALID_JSON, "pup_policy_plan(malformed JSON) -> INVALID_JSON");
    {
        const char *sideways = "{\"source\":\"sideways\"}";
        error = NULL;
        st = pup_policy_plan(client, u8(sideways), strlen(sideways), NULL, &result, &error);
        check((st == PUP_STATUS_INVALID_ARGUMENT || st == PUP_STATUS_INVALID_JSON) &&
                  error_message_contains(error, "sideways") && result == (PupResult *)0x1,
              "pup_policy_plan(source sideways) -> invalid, naming the value");
        pup_error_free(error);
    }

    EXPECT(pup_policy_apply(NULL, u8(change), strlen(change), NULL, &result, &error),
           PUP_STATUS_NULL_ARGUMENT, "pup_policy_apply(NULL client) -> NULL_ARGUMENT");
    EXPECT(pup_policy_apply(client, NULL, 4, NULL, &result, &error), PUP_STATUS_NULL_ARGUMENT,
           "pup_policy_apply(NULL change_json, len 4) -> NULL_ARGUMENT");
    EXPECT(pup_policy_apply(client, u8(change), strlen(change), NULL, NULL, &error),
           PUP_STATUS_NULL_ARGUMENT, "pup_policy_apply(NULL out_result) -> NULL_ARGUMENT");
    EXPECT(pup_policy_apply(client, bad_utf8, sizeof bad_utf8, NULL, &result, &error),
           PUP_STATUS_INVALID_UTF8, "pup_policy_apply(invalid UTF-8) -> INVALID_UTF8");
    EXPECT(pup_policy_apply(client, u8(change), (size_t)PUP_MAX_INPUT_BYTES + 1, NULL, &result,
                            &error),
           PUP_STATUS_INVALID_ARGUMENT, "pup_policy_apply(over 16 MiB) -> INVALID_ARGUMENT");
    EXPECT(pup_policy_apply(client, NULL, 0, NULL, &result, &error), PUP_STATUS_INVALID_JSON,
           "pup_policy_apply(NULL,0 change) -> INVALID_JSON");
    const char *unknown_role = "{\"allowedRoles\":[\"Globl Admin\"]}";
    EXPECT(pup_policy_apply(client, u8(unknown_role), strlen(unknown_role), NULL, &result, &error),
           PUP_STATUS_INVALID_ARGUMENT, "pup_policy_apply(unknown role name) -> INVALID_ARGUMENT");

    EXPECT(pup_policy_reset(NULL, NULL, 0, NULL, &result, &error), PUP_STATUS_NULL_ARGUMENT,
           "pup_policy_reset(NULL client) -> NULL_ARGUMENT");
    EXPECT(pup_policy_reset(client, NULL, 0, NULL, NULL, &error), PUP_STATUS_NULL_ARGUMENT,
           "pup_policy_reset(NULL out_result) -> NULL_ARGUMENT");

    /* out_error is optional on every fallible export: failures still return their status. */
    check(pup_policy_plan(client, bad_utf8, sizeof bad_utf8, NULL, &result, NULL) ==
                  PUP_STATUS_INVALID_UTF8 &&
              pup_policy_apply(client, NULL, 1, NULL, &result, NULL) == PUP_STATUS_NULL_ARGUMENT &&
              pup_policy_reset(client, NULL, 0, NULL, NULL, NULL) == PUP_STATUS_NULL_ARGUMENT &&
              pup_roles_catalog(NULL, NULL) == PUP_STATUS_NULL_ARGUMENT &&
              pup_roles_resolve(NULL, 1, &result, NULL) == PUP_STATUS_NULL_ARGUMENT &&
              result == (PupResult *)0x1,
          "NULL out_error accepted by plan/apply/reset/catalog/resolve, nothing written");
#undef EXPECT
}

static void check_roles(void) {
    PupResult *result = NULL;
    PupError *error = NULL;
    PupStatus st = pup_roles_catalog(&result, &error);
    char *j = st == PUP_STATUS_OK ? result_text(result) : copy_str(u8(""), 0);
    check(st == PUP_STATUS_OK && strstr(j, "People Administrator") != NULL &&
              strstr(j, "024906de-61e5-49c8-8572-40335f1e0e10") != NULL,
          "pup_roles_catalog lists People Administrator with its template ID");
    free(j);
    pup_result_free(result);
    result = NULL;
    check(pup_roles_catalog(NULL, &error) == PUP_STATUS_NULL_ARGUMENT &&
              pup_error_status(error) == PUP_STATUS_NULL_ARGUMENT,
          "pup_roles_catalog(NULL out_result) -> NULL_ARGUMENT");
    pup_error_free(error);
    error = NULL;

    const char *req = "{\"roles\":[\"global administrator\"]}";
    st = pup_roles_resolve(u8(req), strlen(req), &result, &error);
    j = st == PUP_STATUS_OK ? result_text(result) : copy_str(u8(""), 0);
    check(st == PUP_STATUS_OK && strstr(j, "62e90394-69f5-4237-9190-012177145e10") != NULL,
          "pup_roles_resolve('global administrator') -> its template ID");
    free(j);
    pup_result_free(result);
    result = NULL;

    const char *unknown = "{\"roles\":[\"Global Adminstrator\"]}";
    st = pup_roles_resolve(u8(unknown), strlen(unknown), &result, &error);
    check(st == PUP_STATUS_INVALID_ARGUMENT && error_message_contains(error, "Global Adminstrator") &&
              error_message_contains(error, "Global Administrator"),
          "pup_roles_resolve(misspelt name) -> INVALID_ARGUMENT naming it and the closest");
    pup_error_free(error);
    error = NULL;

    const uint8_t bad_utf8[] = {'{', 0xE2, 0x82, '}'};
    check(pup_roles_resolve(bad_utf8, sizeof bad_utf8, &result, &error) == PUP_STATUS_INVALID_UTF8,
          "pup_roles_resolve(invalid UTF-8) -> INVALID_UTF8");
    pup_error_free(error);
    error = NULL;
    check(pup_roles_resolve(NULL, 9, &result, &error) == PUP_STATUS_NULL_ARGUMENT,
          "pup_roles_resolve(NULL request, len 9) -> NULL_ARGUMENT");
    pup_error_free(error);
    error = NULL;
    check(pup_roles_resolve(u8(req), (size_t)PUP_MAX_INPUT_BYTES + 1, &result, &error) ==
              PUP_STATUS_INVALID_ARGUMENT,
          "pup_roles_resolve(over 16 MiB) -> INVALID_ARGUMENT");
    pup_error_free(error);
    error = NULL;
    check(pup_roles_resolve(u8(req), strlen(req), NULL, &error) == PUP_STATUS_NULL_ARGUMENT,
          "pup_roles_resolve(NULL out_result) -> NULL_ARGUMENT");
    pup_error_free(error);
    error = NULL;
    check(pup_roles_resolve(u8("{\"roles\":5}"), 11, &result, NULL) == PUP_STATUS_INVALID_JSON,
          "pup_roles_resolve(wrong shape, NULL out_error) -> INVALID_JSON");

    /* result accessor NULLs */
    st = pup_roles_catalog(&result, &error);
    const uint8_t *p = NULL;
    size_t n = 0;
    check(pup_result_json(NULL, &p, &n) == PUP_STATUS_NULL_ARGUMENT,
          "pup_result_json(NULL result) -> NULL_ARGUMENT");
    check(st == PUP_STATUS_OK && pup_result_json(result, NULL, &n) == PUP_STATUS_NULL_ARGUMENT,
          "pup_result_json(NULL out_ptr) -> NULL_ARGUMENT");
    check(st == PUP_STATUS_OK && pup_result_json(result, &p, NULL) == PUP_STATUS_NULL_ARGUMENT,
          "pup_result_json(NULL out_len) -> NULL_ARGUMENT");
    pup_result_free(result);
}

/* A 403 answer from the service (a user without a photo-managing role) exercises every string accessor with real values. */
static void check_service_error(const char *readonly_token) {
    PupClient *client = make_client(readonly_token, 0);
    check(client != NULL, "client with a read-only token");
    if (!client) return;
    PupResult *result = NULL;
    PupError *error = NULL;
    const char *change = "{\"source\":\"onPremises\"}";
    PupStatus st = pup_policy_apply(client, u8(change), strlen(change), NULL, &result, &error);
    check(st == PUP_STATUS_PERMISSION_DENIED && pup_error_status(error) == st,
          "apply by a user without a photo-managing role -> PERMISSION_DENIED");
    if (error) {
        char *msg = error_field(error, pup_error_message);
        char *code = error_field(error, pup_error_code);
        char *rid = error_field(error, pup_error_request_id);
        char *crid = error_field(error, pup_error_client_request_id);
        char *date = error_field(error, pup_error_date);
        char *action = error_field(error, pup_error_recommended_action);
        char *json = error_field(error, pup_error_json);
        printf("     message=%s\n     code=%s request-id=%s client-request-id=%s date=%s\n"
               "     action=%s\n",
               msg, code, rid, crid, date, action);
        check(pup_error_http_status(error) == 403, "pup_error_http_status -> 403");
        check(pup_error_retry_after_ms(error) == -1, "pup_error_retry_after_ms -> -1 (none)");
        check(strlen(msg) > 0, "pup_error_message non-empty");
        check(strlen(code) > 0, "pup_error_code is the Graph error code");
        check(strlen(rid) > 0, "pup_error_request_id present");
        check(strlen(crid) == 36 && crid[8] == '-', "pup_error_client_request_id is a GUID");
        check(strlen(date) > 0, "pup_error_date present");
        check(strlen(action) > 0, "pup_error_recommended_action present");
        check(strstr(json, "\"httpStatus\":403") != NULL && strstr(json, "\"status\":8") != NULL &&
                  strstr(json, rid) != NULL && strstr(json, crid) != NULL &&
                  strstr(json, "\"kind\":\"PermissionDenied\"") != NULL,
              "pup_error_json carries status, kind, httpStatus and the ids");
        check(strstr(json, readonly_token) == NULL && strstr(msg, readonly_token) == NULL,
              "the token appears in no error text");
        free(msg);
        free(code);
        free(rid);
        free(crid);
        free(date);
        free(action);
        free(json);
    }
    pup_error_free(error);
    pup_client_free(client);
}

static void check_authentication_error(void) {
    PupClient *client = make_client("not-a-token", 0);
    if (!client) {
        check(0, "client with a bogus token");
        return;
    }
    PupResult *result = NULL;
    PupError *error = NULL;
    PupStatus st = pup_policy_get(client, NULL, &result, &error);
    check(st == PUP_STATUS_AUTHENTICATION || st == PUP_STATUS_INVALID_ARGUMENT,
          "get with a bogus token -> AUTHENTICATION (or INVALID_ARGUMENT before sending)");
    if (error) {
        char *json = error_field(error, pup_error_json);
        check(strstr(json, "not-a-token") == NULL, "the bogus token is not echoed in the error");
        free(json);
    }
    pup_error_free(error);
    pup_client_free(client);
}

/* ---------- certificate sign-in through a caller's signer ---------- */

/* A signer standing in for a key store that cannot sign (a removed smart card): it counts its
   calls and releases, and answers every request with a failure and its reason. */
struct test_signer {
    atomic_int signs;
    atomic_int releases;
    atomic_uint first_algorithm;
    atomic_uint last_algorithm;
};

static uint32_t refusing_sign(void *user_data, uint32_t algorithm, const uint8_t *data, size_t data_len,
                              uint8_t *signature, size_t *signature_len, uint8_t *message,
                              size_t *message_len) {
    struct test_signer *s = user_data;
    (void)signature;
    unsigned int none = 0;
    atomic_fetch_add(&s->signs, 1);
    atomic_compare_exchange_strong(&s->first_algorithm, &none, algorithm);
    atomic_store(&s->last_algorithm, algorithm);
    /* The signing input is the JWT's base64url header and claims: ASCII, two parts. */
    int dots = 0;
    for (size_t i = 0; i < data_len; i++) dots += data[i] == '.';
    if (dots != 1 || *signature_len < PUP_MAX_SIGNATURE_BYTES || *message_len < 64) {
        *message_len = 0;
        return 2;
    }
    const char *why = "the smart card was removed (C test)";
    size_t n = strlen(why);
    memcpy(message, why, n);
    *message_len = n;
    return 1;
}

static void count_release(void *user_data) {
    struct test_signer *s = user_data;
    atomic_fetch_add(&s->releases, 1);
}

/* Reads the test certificate (public part) and returns a client config for a certificate
   sign-in with it, the PEM's newlines escaped for JSON; NULL when the file cannot be read. */
static char *signer_config_json(void) {
    const char *path = getenv("PUP_TEST_CERT");
    FILE *f = fopen(path ? path : "core/tests/fixtures/test-cert.pem", "rb");
    if (!f) return NULL;
    char pem[8192];
    size_t n = fread(pem, 1, sizeof pem - 1, f);
    fclose(f);
    pem[n] = '\0';
    char escaped[16384];
    size_t j = 0;
    for (size_t i = 0; i < n && j + 3 < sizeof escaped; i++) {
        if (pem[i] == '\n') {
            escaped[j++] = '\\';
            escaped[j++] = 'n';
        } else if (pem[i] != '\r') {
            escaped[j++] = pem[i];
        }
    }
    escaped[j] = '\0';
    size_t size = j + 1024;
    char *cfg = malloc(size);
    if (!cfg) abort();
    snprintf(cfg, size,
             "{\"tenantId\":\"%s\",\"graphEndpoint\":\"%s\",\"authorityEndpoint\":\"%s\","
             "\"allowInsecureLoopback\":true,\"auth\":{\"mode\":\"certificate\","
             "\"clientId\":\"6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b\",\"certificatePem\":\"%s\"},"
             "\"retry\":{\"maxRetries\":0}}",
             tenant, emu_url, emu_url, escaped);
    return cfg;
}

struct get_args {
    PupClient *client;
    PupStatus status;
};

static void *get_on_thread(void *p) {
    struct get_args *a = p;
    PupResult *result = NULL;
    PupError *error = NULL;
    a->status = pup_policy_get(a->client, NULL, &result, &error);
    pup_result_free(result);
    pup_error_free(error);
    return NULL;
}

static void check_signer(void) {
    char *cfg = signer_config_json();
    check(cfg != NULL, "read the test certificate (core/tests/fixtures/test-cert.pem)");
    if (!cfg) return;
    const uint32_t both = PUP_SIGNATURE_ALGORITHM_RS256 | PUP_SIGNATURE_ALGORITHM_PS256;

    /* Argument checks: each failure releases user_data exactly once, writes no client. */
    struct test_signer bad = {0};
    PupClient *client = NULL;
    PupError *error = NULL;
    PupStatus st = pup_client_new_with_signer(u8(cfg), strlen(cfg), NULL, count_release, &bad, both,
                                              &client, &error);
    check(st == PUP_STATUS_NULL_ARGUMENT && client == NULL && error_message_contains(error, "sign"),
          "new_with_signer with a NULL sign function -> NULL_ARGUMENT naming it");
    check(atomic_load(&bad.releases) == 1, "  ... and user_data is released once");
    pup_error_free(error);
    error = NULL;
    st = pup_client_new_with_signer(u8(cfg), strlen(cfg), refusing_sign, count_release, &bad, 0,
                                    &client, &error);
    check(st == PUP_STATUS_INVALID_ARGUMENT && client == NULL && error_message_contains(error, "algorithms"),
          "new_with_signer offering no algorithm -> INVALID_ARGUMENT naming algorithms");
    check(atomic_load(&bad.releases) == 2, "  ... and user_data is released once more");
    pup_error_free(error);
    error = NULL;
    st = pup_client_new_with_signer(u8(cfg), strlen(cfg), refusing_sign, count_release, &bad, both,
                                    NULL, NULL);
    check(st == PUP_STATUS_NULL_ARGUMENT && atomic_load(&bad.releases) == 3,
          "new_with_signer with a NULL out_client -> NULL_ARGUMENT, user_data released");
    const char *secret_cfg = "{\"tenantId\":\"contoso.onmicrosoft.com\",\"auth\":{\"mode\":\"clientSecret\","
                             "\"clientId\":\"6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b\"}}";
    st = pup_client_new_with_signer(u8(secret_cfg), strlen(secret_cfg), refusing_sign, count_release, &bad,
                                    both, &client, &error);
    check(st == PUP_STATUS_INVALID_ARGUMENT && error_message_contains(error, "certificate"),
          "new_with_signer with a client secret config -> INVALID_ARGUMENT (certificate only)");
    check(atomic_load(&bad.releases) == 4 && atomic_load(&bad.signs) == 0,
          "  ... released, and nothing was ever signed");
    pup_error_free(error);
    error = NULL;

    /* A signer that cannot sign: the calls fail with its reason, nothing is sent, and it is
       called from two threads at once (one client, no cached token: each call signs). */
    struct test_signer refusing = {0};
    st = pup_client_new_with_signer(u8(cfg), strlen(cfg), refusing_sign, count_release, &refusing, both,
                                    &client, &error);
    check(st == PUP_STATUS_OK && client != NULL && error == NULL, "new_with_signer -> client");
    check(atomic_load(&refusing.signs) == 0, "  ... nothing signed when the client is made");
    if (client) {
        http("DELETE", "/_emulator/requests", NULL, NULL);
        PupResult *result = NULL;
        st = pup_policy_get(client, NULL, &result, &error);
        check(st == PUP_STATUS_AUTHENTICATION && result == NULL, "get with a refusing signer -> AUTHENTICATION");
        check(error_message_contains(error, "the smart card was removed (C test)"),
              "  ... the message carries the signer's reason");
        check(atomic_load(&refusing.first_algorithm) == PUP_SIGNATURE_ALGORITHM_PS256 &&
                  atomic_load(&refusing.last_algorithm) == PUP_SIGNATURE_ALGORITHM_RS256 &&
                  atomic_load(&refusing.signs) == 2,
              "  ... PS256 was asked for first (both were offered), then RS256");
        pup_error_free(error);
        error = NULL;
        char *log = NULL;
        http("GET", "/_emulator/requests", NULL, &log);
        check(log != NULL && strstr(log, "\"token\"") == NULL, "  ... and no token request was sent");
        free(log);

        struct get_args a = {client, PUP_STATUS_OK}, b = {client, PUP_STATUS_OK};
        pthread_t ta, tb;
        pthread_create(&ta, NULL, get_on_thread, &a);
        pthread_create(&tb, NULL, get_on_thread, &b);
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        check(a.status == PUP_STATUS_AUTHENTICATION && b.status == PUP_STATUS_AUTHENTICATION &&
                  atomic_load(&refusing.signs) == 6,
              "two threads at once: each call asks the signer and fails the same way");

        PupClient *other = NULL;
        st = pup_client_for_tenant(client, u8("fabrikam.onmicrosoft.com"), strlen("fabrikam.onmicrosoft.com"),
                                   &other, NULL);
        check(st == PUP_STATUS_OK && other != NULL, "for_tenant on a signer client -> client");
        pup_client_free(client);
        check(atomic_load(&refusing.releases) == 0, "  ... freeing the first client keeps the signer for the other");
        pup_client_free(other);
    }
    check(atomic_load(&refusing.releases) == 1, "the signer is released once, when its last client is freed");
    free(cfg);
}

static void check_throttle(const char *token) {
    PupClient *client = make_client(token, 0);
    if (!client) {
        check(0, "client for throttling");
        return;
    }
    int fs = http("POST", "/_emulator/faults",
                  "{\"route\":\"graph\",\"kind\":\"throttle\",\"count\":1,\"retryAfterSeconds\":7}",
                  NULL);
    check(fs >= 200 && fs < 300, "emulator accepted a throttle fault");
    PupResult *result = NULL;
    PupError *error = NULL;
    PupStatus st = pup_policy_get(client, NULL, &result, &error);
    check(st == PUP_STATUS_THROTTLED && pup_error_http_status(error) == 429 &&
              pup_error_retry_after_ms(error) == 7000,
          "429 with no retries left -> THROTTLED, http 429, retry-after 7000 ms");
    pup_error_free(error);
    pup_result_free(result);
    http("DELETE", "/_emulator/faults", NULL, NULL);
    pup_client_free(client);
}

static void check_cancel(PupClient *client) {
    int fs = http("POST", "/_emulator/faults",
                  "{\"route\":\"graph\",\"kind\":\"latency\",\"latencyMs\":5000}", NULL);
    check(fs >= 200 && fs < 300, "emulator accepted a 5 s latency fault");
    PupCallContext *ctx = pup_call_context_new(NULL, NULL);
    struct cancel_args args = {ctx, 300};
    pthread_t thread;
    pthread_create(&thread, NULL, cancel_later, &args);
    PupResult *result = NULL;
    PupError *error = NULL;
    double start = now_seconds();
    PupStatus st = pup_policy_get(client, ctx, &result, &error);
    double took = now_seconds() - start;
    pthread_join(thread, NULL);
    printf("     cancelled get returned after %.2f s\n", took);
    check(st == PUP_STATUS_CANCELLED && pup_error_status(error) == PUP_STATUS_CANCELLED &&
              result == NULL,
          "cancel from another thread -> CANCELLED");
    check(took < 2.5, "cancelled call returned promptly (well before the 5 s latency)");
    pup_error_free(error);
    error = NULL;

    start = now_seconds();
    st = pup_policy_get(client, ctx, &result, &error);
    check(st == PUP_STATUS_CANCELLED && now_seconds() - start < 0.5,
          "a cancelled context makes the next call return CANCELLED at once");
    pup_error_free(error);
    check(pup_call_context_cancel(ctx) == PUP_STATUS_OK, "pup_call_context_cancel is idempotent");
    pup_call_context_free(ctx);
    http("DELETE", "/_emulator/faults", NULL, NULL);
}

/* pup_call_context_set_limits: NULL checks, bad values named, and a per-call timeout that wins
   over the client's 30 s one. */
static void check_limits(PupClient *client) {
    PupError *error = NULL;
    const char *ok_json = "{\"timeouts\":{\"totalMs\":300},\"retry\":{\"maxRetries\":0}}";
    check(pup_call_context_set_limits(NULL, u8(ok_json), strlen(ok_json), &error) ==
                  PUP_STATUS_NULL_ARGUMENT &&
              error != NULL && pup_error_status(error) == PUP_STATUS_NULL_ARGUMENT,
          "pup_call_context_set_limits(NULL ctx) -> NULL_ARGUMENT");
    pup_error_free(error);
    error = NULL;
    PupCallContext *ctx = pup_call_context_new(NULL, NULL);
    check(pup_call_context_set_limits(ctx, NULL, 5, NULL) == PUP_STATUS_NULL_ARGUMENT,
          "pup_call_context_set_limits(NULL json, len 5) -> NULL_ARGUMENT (out_error optional)");
    const char *zero = "{\"timeouts\":{\"totalMs\":0}}";
    PupStatus st = pup_call_context_set_limits(ctx, u8(zero), strlen(zero), &error);
    const uint8_t *p = NULL;
    size_t n = 0;
    pup_error_message(error, &p, &n);
    check(st == PUP_STATUS_INVALID_ARGUMENT && p != NULL &&
              strstr((const char *)p, "timeouts.totalMs = 0") != NULL,
          "totalMs 0 -> INVALID_ARGUMENT naming the field");
    pup_error_free(error);
    error = NULL;
    const char *unknown = "{\"retry\":{\"retries\":1}}";
    check(pup_call_context_set_limits(ctx, u8(unknown), strlen(unknown), NULL) ==
              PUP_STATUS_INVALID_JSON,
          "unknown limits field -> INVALID_JSON");
    check(pup_call_context_set_limits(ctx, NULL, 0, NULL) == PUP_STATUS_OK,
          "pup_call_context_set_limits(NULL, 0) clears the limits");
    check(pup_call_context_set_limits(ctx, u8(ok_json), strlen(ok_json), NULL) == PUP_STATUS_OK,
          "pup_call_context_set_limits(totalMs 300, maxRetries 0) -> OK");

    int fs = http("POST", "/_emulator/faults",
                  "{\"route\":\"graph\",\"kind\":\"latency\",\"latencyMs\":2000,\"count\":1}", NULL);
    check(fs >= 200 && fs < 300, "emulator accepted a 2 s latency fault");
    PupResult *result = NULL;
    double start = now_seconds();
    st = pup_policy_get(client, ctx, &result, &error);
    double took = now_seconds() - start;
    check(st == PUP_STATUS_TIMEOUT && result == NULL && took < 1.5,
          "a call with the context's 300 ms timeout -> TIMEOUT before the 2 s latency");
    pup_error_free(error);
    pup_call_context_free(ctx);
    http("DELETE", "/_emulator/faults", NULL, NULL);
}

static void check_null_accessors(void) {
    const uint8_t *p = NULL;
    size_t n = 0;
    check(pup_error_status(NULL) == PUP_STATUS_NULL_ARGUMENT, "pup_error_status(NULL)");
    check(pup_error_http_status(NULL) == 0, "pup_error_http_status(NULL) -> 0");
    check(pup_error_retry_after_ms(NULL) == -1, "pup_error_retry_after_ms(NULL) -> -1");
    ErrorStrFn fns[] = {pup_error_message,    pup_error_code,
                        pup_error_request_id, pup_error_client_request_id,
                        pup_error_date,       pup_error_recommended_action,
                        pup_error_json};
    const char *names[] = {"message", "code", "request_id", "client_request_id",
                           "date",    "recommended_action", "json"};
    /* A real error object to test NULL out pointers against. */
    PupResult *result = NULL;
    PupError *error = NULL;
    pup_roles_resolve(NULL, 1, &result, &error);
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        char what[128];
        snprintf(what, sizeof what, "pup_error_%s: NULL error / out_ptr / out_len -> NULL_ARGUMENT",
                 names[i]);
        check(fns[i](NULL, &p, &n) == PUP_STATUS_NULL_ARGUMENT &&
                  fns[i](error, NULL, &n) == PUP_STATUS_NULL_ARGUMENT &&
                  fns[i](error, &p, NULL) == PUP_STATUS_NULL_ARGUMENT,
              what);
    }
    /* Absent strings are (NULL, 0) with status OK. */
    p = u8("x");
    n = 99;
    check(pup_error_code(error, &p, &n) == PUP_STATUS_OK && p == NULL && n == 0,
          "absent field -> (NULL, 0) and OK");
    pup_error_free(error);

    check(pup_call_context_cancel(NULL) == PUP_STATUS_NULL_ARGUMENT,
          "pup_call_context_cancel(NULL) -> NULL_ARGUMENT");
    PupCallContext *ctx = pup_call_context_new(NULL, NULL);
    check(ctx != NULL, "pup_call_context_new(NULL callback) -> handle");
    pup_call_context_free(ctx);

    pup_client_free(NULL);
    pup_result_free(NULL);
    pup_error_free(NULL);
    pup_call_context_free(NULL);
    check(1, "every _free accepts NULL");
}

static int leak_loop(PupClient *client, long count) {
    long ok = 0;
    for (long i = 0; i < count; i++) {
        PupResult *result = NULL;
        PupError *error = NULL;
        if (pup_policy_get(client, NULL, &result, &error) == PUP_STATUS_OK) ok++;
        pup_result_free(result);
        pup_error_free(error);
    }
    printf("%ld of %ld get calls succeeded\n", ok, count);
    return ok == count ? 0 : 1;
}

int main(int argc, char **argv) {
    emu_url = getenv("PUP_EMULATOR_URL");
    tenant = getenv("PUP_TENANT");
    const char *token = getenv("PUP_TOKEN");
    if (!emu_url || !tenant || !token) {
        fprintf(stderr, "set PUP_EMULATOR_URL, PUP_TENANT and PUP_TOKEN (see tests/c/run.sh)\n");
        return 2;
    }
    if (sscanf(emu_url, "http://%63[^:]:%d", emu_host, &emu_port) != 2) {
        fprintf(stderr, "PUP_EMULATOR_URL must look like http://127.0.0.1:PORT\n");
        return 2;
    }

    if (argc == 3 && strcmp(argv[1], "--leak-loop") == 0) {
        PupClient *client = make_client(token, 0);
        if (!client) return 1;
        int rc = leak_loop(client, atol(argv[2]));
        pup_client_free(client);
        return rc;
    }

    check_versions();
    check_client_new_inputs(token);
    PupClient *client = make_client(token, 2);
    check(client != NULL, "pup_client_new with the emulator config -> client");
    if (client) {
        check_policy_round_trip(client);
        check_plan_handles(client, token);
        check_policy_inputs(client);
        check_cancel(client);
        check_limits(client);
    }
    check_roles();
    check_null_accessors();
    char *readonly = mint_delegated_token(tenant, "PeopleSettings.ReadWrite.All");
    check(readonly != NULL, "minted a delegated token without a directory role through the control API");
    if (readonly) check_service_error(readonly);
    free(readonly);
    check_authentication_error();
    check_signer();
    check_throttle(token);
    pup_client_free(client);

    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
