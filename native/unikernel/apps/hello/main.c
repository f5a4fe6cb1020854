/* The first example application: a web page that names the unikernel and counts requests, and
 * shows the deployment's GREETING when its env sets one (os_getenv: env.GREETING= on the
 * kernel command line).
 * It is an ordinary C file against the library OS's API (http.h): the image is this file
 * linked with platform/, lib/ and net/. */
#include <string.h>

#include <berth/http.h>
#include <berth/os.h>

const char *app_name = "hello-unikernel";

static unsigned long requests;

static void handle(const struct http_request *req, struct http_response *resp) {
    int get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    if (strcmp(req->path, "/") != 0) {
        resp->status = 404;
        http_puts(resp, "not found\n");
        return;
    }
    if (!get) {
        resp->status = 405;
        http_puts(resp, "only GET and HEAD here\n");
        return;
    }
    requests++;
    resp->content_type = "text/html; charset=utf-8";
    http_puts(resp, "<!doctype html>\n<html><head><title>");
    http_puts(resp, app_name);
    http_puts(resp, "</title></head>\n<body><h1>Hello from a Berth unikernel!</h1>\n<p>This is <b>");
    http_puts(resp, app_name);
    http_puts(resp, "</b>: one application linked with its own small OS, booted directly by the "
                    "hypervisor.</p>\n<p>request #");
    http_put_uint(resp, requests);
    http_puts(resp, "</p>\n");
    const char *greeting = os_getenv("GREETING");
    if (greeting) { /* the tenant's text, not markup */
        http_puts(resp, "<p>greeting: ");
        http_put_html(resp, greeting, strlen(greeting));
        http_puts(resp, "</p>\n");
    }
    http_puts(resp, "</body></html>\n");
}

void app_main(void) {
    if (http_serve(8080, handle) != 0) {
        os_log("%s: cannot listen on port 8080", app_name);
        os_halt(1);
    }
}
