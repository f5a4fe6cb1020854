/* A small HTTP/1.1 server on top of the stack's TCP (net/http.c). One request at a time per
 * connection (pipelined requests wait their turn), bodies by Content-Length only, keep-alive by
 * default in HTTP/1.1. The handler runs synchronously and fills the response in place. */
#ifndef BERTH_HTTP_H
#define BERTH_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEAD 4096      /* request line + headers; beyond: 431 */
#define HTTP_MAX_HEADERS 32     /* beyond: 431 */
#define HTTP_MAX_BODY 8192      /* Content-Length beyond: 413 */
#define HTTP_MAX_RESP_BODY 8192 /* what a handler can write; more is cut */

struct http_header {
    const char *name, *value; /* NUL-terminated, value without surrounding blanks */
};

struct http_request {
    const char *method;  /* "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH" */
    const char *path;    /* the request target as sent (origin form: starts with '/') */
    int minor_version;   /* HTTP/1.<minor> */
    const struct http_header *headers;
    int nheaders;
    const uint8_t *body; /* Content-Length bytes (not NUL-terminated) */
    size_t body_len;
};

struct http_response {
    int status;               /* 200 unless the handler says otherwise */
    const char *content_type; /* "text/plain; charset=utf-8" unless set */
    char *body;               /* the server's buffer of body_cap bytes */
    size_t body_len, body_cap;
    int close;                /* set to close the connection after this response */
};

typedef void (*http_handler)(const struct http_request *req, struct http_response *resp);

/* Listens on port; returns 0, or -1 when TCP has no listener slot left. */
int http_serve(uint16_t port, http_handler handler);

/* Case-insensitive header lookup; NULL if absent. */
const char *http_header(const struct http_request *req, const char *name);

/* Body helpers: they append and cut at body_cap (never overflow). */
void http_write(struct http_response *r, const void *data, size_t len);
void http_puts(struct http_response *r, const char *s);
void http_put_uint(struct http_response *r, unsigned long v);
/* Appends s with & < > " ' escaped, for echoing user input into HTML. */
void http_put_html(struct http_response *r, const char *s, size_t len);

const char *http_reason(int status);

#endif
