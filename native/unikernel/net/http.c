/* The HTTP/1.1 server: per-connection input buffering, request framing, responses. Flow
 * control is end to end: the TCP window advertised is this buffer's free space, and a request
 * is only taken once the send buffer can hold the largest response, so a client that pipelines
 * faster than it reads is slowed down by TCP rather than by dropping anything. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <berth/http.h>
#include <berth/net.h>
#include <berth/os.h>

#include "http_parse.h"

#define HTTP_INBUF (HTTP_MAX_HEAD + HTTP_MAX_BODY)
#define HTTP_MAX_RESPONSE (512 + HTTP_MAX_RESP_BODY)
#define HTTP_PORTS 8

_Static_assert(HTTP_MAX_RESPONSE <= TCP_SNDBUF, "a response must fit the TCP send buffer");

struct http_conn {
    struct tcp_conn *tcp;
    http_handler handler;
    size_t used;
    int continued; /* "100 Continue" sent for the request being received */
    uint8_t buf[HTTP_INBUF];
};

static struct {
    uint16_t port;
    http_handler handler;
} ports[HTTP_PORTS];

/* One request is handled at a time across the whole server, so these can be static. */
static char head_copy[HTTP_MAX_HEAD + 1];
static struct http_head head;
static char resp_body[HTTP_MAX_RESP_BODY];

const char *http_reason(int status) {
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return status < 400 ? "OK" : "Error";
    }
}

/* Head and body go out in one tcp_send, so a small response is one segment, not two. */
static void send_response(struct http_conn *hc, const struct http_response *r, int head_only,
                          int keep_alive) {
    static char out[HTTP_MAX_RESPONSE];
    size_t body = head_only ? 0 : r->body_len;
    int n = snprintf(out, HTTP_MAX_RESPONSE - HTTP_MAX_RESP_BODY,
                     "HTTP/1.1 %d %s\r\nServer: berth-unikernel\r\nContent-Type: %s\r\n"
                     "Content-Length: %lu\r\nConnection: %s\r\n\r\n",
                     r->status, http_reason(r->status), r->content_type,
                     (unsigned long)r->body_len, keep_alive ? "keep-alive" : "close");
    if (n < 0 || n >= HTTP_MAX_RESPONSE - HTTP_MAX_RESP_BODY) n = 0; /* absurd content type */
    memcpy(out + n, r->body, body);
    tcp_send(hc->tcp, out, (size_t)n + body);
}

static void finish(struct http_conn *hc) {
    tcp_close(hc->tcp);
    os_free(hc);
}

/* Errors end the connection: after a malformed head we cannot know where the next request
 * would start. */
static void send_error(struct http_conn *hc, int status) {
    struct http_response r = {status, "text/plain; charset=utf-8", resp_body, 0,
                              sizeof resp_body, 1};
    http_puts(&r, http_reason(status));
    http_puts(&r, "\n");
    send_response(hc, &r, 0, 0);
    finish(hc);
}

/* Handles every complete request in the buffer. Returns 0 if the connection is still ours,
 * -1 if it was closed (hc freed). */
static int process(struct http_conn *hc) {
    for (;;) {
        size_t skip = 0; /* RFC 9112 2.2: blank lines before a request are ignored */
        while (skip < hc->used && (hc->buf[skip] == '\r' || hc->buf[skip] == '\n')) skip++;
        if (skip) {
            memmove(hc->buf, hc->buf + skip, hc->used - skip);
            hc->used -= skip;
        }
        if (hc->used == 0) break;
        if (tcp_send_space(hc->tcp) < HTTP_MAX_RESPONSE) break; /* on_sent calls us again */
        size_t scan = hc->used < HTTP_MAX_HEAD ? hc->used : HTTP_MAX_HEAD;
        size_t hlen = http_head_length(hc->buf, scan);
        if (!hlen) {
            if (hc->used >= HTTP_MAX_HEAD) goto fail431;
            break;
        }
        memcpy(head_copy, hc->buf, hlen);
        head_copy[hlen] = 0;
        int st = http_parse_head(head_copy, hlen, &head);
        if (st) {
            send_error(hc, st);
            return -1;
        }
        size_t total = hlen + head.content_length;
        if (hc->used < total) { /* the body is still arriving */
            /* curl and others wait up to a second for this before sending a large body. */
            const char *expect = http_header(&head.req, "Expect");
            if (expect && strcasecmp(expect, "100-continue") == 0 && !hc->continued) {
                static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
                tcp_send(hc->tcp, cont, sizeof cont - 1);
                hc->continued = 1;
            }
            break;
        }
        hc->continued = 0;
        struct http_response r = {200, "text/plain; charset=utf-8", resp_body, 0,
                                  sizeof resp_body, 0};
        head.req.body = hc->buf + hlen;
        head.req.body_len = head.content_length;
        hc->handler(&head.req, &r);
        int keep = head.keep_alive && !r.close;
        send_response(hc, &r, strcmp(head.req.method, "HEAD") == 0, keep);
        if (!keep) {
            finish(hc);
            return -1;
        }
        memmove(hc->buf, hc->buf + total, hc->used - total);
        hc->used -= total;
    }
    tcp_window_update(hc->tcp);
    return 0;
fail431:
    send_error(hc, 431);
    return -1;
}

static size_t on_rx_space(struct tcp_conn *c) {
    struct http_conn *hc = tcp_user(c);
    return hc ? HTTP_INBUF - hc->used : 0;
}

static void on_accept(struct tcp_conn *c) {
    struct http_conn *hc = os_alloc(sizeof *hc);
    http_handler h = NULL;
    for (int i = 0; i < HTTP_PORTS; i++)
        if (ports[i].port == tcp_local_port(c)) h = ports[i].handler;
    if (!hc || !h) {
        os_free(hc);
        tcp_abort(c); /* out of memory: better a reset than a hung client */
        return;
    }
    hc->tcp = c;
    hc->handler = h;
    hc->used = 0;
    hc->continued = 0;
    tcp_set_user(c, hc);
}

static void on_data(struct tcp_conn *c, const uint8_t *data, size_t len) {
    struct http_conn *hc = tcp_user(c);
    size_t room = HTTP_INBUF - hc->used;
    if (len > room) len = room; /* cannot happen with a window-respecting peer */
    memcpy(hc->buf + hc->used, data, len);
    hc->used += len;
    process(hc);
}

static void on_sent(struct tcp_conn *c) {
    struct http_conn *hc = tcp_user(c);
    if (hc->used) process(hc);
}

/* The peer is gone or half-closed: requests not yet answered are dropped with it. */
static void on_close(struct tcp_conn *c) {
    os_free(tcp_user(c));
    tcp_set_user(c, NULL);
}

static const tcp_handlers http_tcp = {on_accept, on_data, on_close, on_sent, on_rx_space};

int http_serve(uint16_t port, http_handler handler) {
    int slot = -1;
    for (int i = 0; i < HTTP_PORTS; i++) /* the port's own slot, else the first free one */
        if (ports[i].port == port || (slot < 0 && ports[i].port == 0)) slot = i;
    if (!handler || slot < 0 || tcp_listen(port, &http_tcp) != 0) return -1;
    ports[slot].port = port;
    ports[slot].handler = handler;
    uint32_t ip = net_get_config()->ip;
    /* The line the driver and the tests wait for before sending requests. */
    os_log("unikernel: %s listening on %u.%u.%u.%u:%u", app_name, ip >> 24, (ip >> 16) & 255,
           (ip >> 8) & 255, ip & 255, port);
    return 0;
}

const char *http_header(const struct http_request *req, const char *name) {
    for (int i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0) return req->headers[i].value;
    return NULL;
}

void http_write(struct http_response *r, const void *data, size_t len) {
    size_t room = r->body_cap - r->body_len;
    if (len > room) len = room;
    memcpy(r->body + r->body_len, data, len);
    r->body_len += len;
}

void http_puts(struct http_response *r, const char *s) { http_write(r, s, strlen(s)); }

void http_put_uint(struct http_response *r, unsigned long v) {
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%lu", v);
    http_write(r, tmp, (size_t)n);
}

void http_put_html(struct http_response *r, const char *s, size_t len) {
    for (size_t i = 0; i < len; i++) {
        switch (s[i]) {
        case '&': http_puts(r, "&amp;"); break;
        case '<': http_puts(r, "&lt;"); break;
        case '>': http_puts(r, "&gt;"); break;
        case '"': http_puts(r, "&quot;"); break;
        case '\'': http_puts(r, "&#39;"); break;
        default: http_write(r, s + i, 1);
        }
    }
}
