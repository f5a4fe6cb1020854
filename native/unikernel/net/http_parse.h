/* The HTTP/1.1 request-head parser (http_parse.c), separate from the connection handling so
 * the host tests can feed it directly. */
#ifndef BERTH_HTTP_PARSE_H
#define BERTH_HTTP_PARSE_H

#include <berth/http.h>

/* Length of the head (request line, headers and the blank line) at the start of buf, or 0 if
 * the blank line has not arrived within the first len bytes. Lines may end in CRLF or LF. */
size_t http_head_length(const uint8_t *buf, size_t len);

struct http_head {
    struct http_request req;
    struct http_header headers[HTTP_MAX_HEADERS];
    size_t content_length;
    int keep_alive;
};

/* Parses a head of len bytes, NUL-terminating its parts in place (head must be writable, and
 * head[len] must exist). Returns 0, or the HTTP status to answer with: 400 malformed, 413 body
 * too large, 431 too many headers, 501 unknown method or Transfer-Encoding, 505 version. */
int http_parse_head(char *head, size_t len, struct http_head *out);

#endif
