/* The second example application: a small in-memory key-value store over HTTP, to show the
 * library OS serves more than one program.
 *   PUT /kv/<key>     body = value   201 (new) or 200 (replaced); 413 too big, 507 store full
 *   GET /kv/<key>     200 with the value, or 404
 *   DELETE /kv/<key>  204, or 404
 *   GET /kv           the keys, one per line */
#include <string.h>

#include <berth/http.h>
#include <berth/os.h>

const char *app_name = "kv-unikernel";

#define KV_MAX_KEYS 128
#define KV_MAX_KEY 64
#define KV_MAX_VALUE 4096

struct kv_entry {
    char key[KV_MAX_KEY + 1];
    char *value; /* os_alloc'd; NULL = free slot */
    size_t len;
};

static struct kv_entry store[KV_MAX_KEYS];

static struct kv_entry *find(const char *key) {
    for (int i = 0; i < KV_MAX_KEYS; i++)
        if (store[i].value && strcmp(store[i].key, key) == 0) return &store[i];
    return NULL;
}

/* Keys are path segments: letters, digits and -_.~ only, so they need no decoding or escaping. */
static int valid_key(const char *k) {
    size_t n = strlen(k);
    if (n == 0 || n > KV_MAX_KEY) return 0;
    for (; *k; k++) {
        char c = *k;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == '~'))
            return 0;
    }
    return 1;
}

static void put(const char *key, const struct http_request *req, struct http_response *resp) {
    if (req->body_len > KV_MAX_VALUE) {
        resp->status = 413;
        http_puts(resp, "value too large\n");
        return;
    }
    struct kv_entry *e = find(key);
    char *v = os_alloc(req->body_len ? req->body_len : 1);
    if (!v) {
        resp->status = 507;
        http_puts(resp, "out of memory\n");
        return;
    }
    if (req->body_len) memcpy(v, req->body, req->body_len);
    resp->status = e ? 200 : 201;
    if (!e) {
        for (int i = 0; i < KV_MAX_KEYS && !e; i++)
            if (!store[i].value) e = &store[i];
        if (!e) {
            os_free(v);
            resp->status = 507;
            http_puts(resp, "store full\n");
            return;
        }
        strcpy(e->key, key);
    }
    os_free(e->value);
    e->value = v;
    e->len = req->body_len;
    http_puts(resp, resp->status == 201 ? "created\n" : "replaced\n");
}

static void handle(const struct http_request *req, struct http_response *resp) {
    const char *m = req->method;
    if (strcmp(req->path, "/kv") == 0 || strcmp(req->path, "/kv/") == 0) {
        if (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0) goto not_allowed;
        for (int i = 0; i < KV_MAX_KEYS; i++) {
            if (!store[i].value) continue;
            http_puts(resp, store[i].key);
            http_puts(resp, "\n");
        }
        return;
    }
    if (strncmp(req->path, "/kv/", 4) != 0) {
        resp->status = 404;
        http_puts(resp, "not found\n");
        return;
    }
    const char *key = req->path + 4;
    if (!valid_key(key)) {
        resp->status = 400;
        http_puts(resp, "keys are 1-64 characters of A-Z a-z 0-9 - _ . ~\n");
        return;
    }
    struct kv_entry *e = find(key);
    if (strcmp(m, "PUT") == 0) {
        put(key, req, resp);
    } else if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) {
        if (!e) goto missing;
        resp->content_type = "application/octet-stream";
        http_write(resp, e->value, e->len);
    } else if (strcmp(m, "DELETE") == 0) {
        if (!e) goto missing;
        os_free(e->value);
        e->value = NULL;
        resp->status = 204;
    } else {
        goto not_allowed;
    }
    return;
missing:
    resp->status = 404;
    http_puts(resp, "no such key\n");
    return;
not_allowed:
    resp->status = 405;
    http_puts(resp, "method not allowed\n");
}

void app_main(void) {
    if (http_serve(8080, handle) != 0) {
        os_log("%s: cannot listen on port 8080", app_name);
        os_halt(1);
    }
}
