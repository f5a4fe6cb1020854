/*
 * The example workload of Berth's images (127.0.0.1:5000/examples/hello and .../notes).
 * One static binary, two modes:
 *   hello        GET / answers 200 with a line that names the host (the container's hostname).
 *   hello notes  also POST /notes appends the body to $NOTES_FILE (default /data/notes.txt)
 *                and GET /notes returns that file: the volume example.
 * Listens on $PORT (default 8080), logs one line per request to stdout, exits 0 on SIGTERM or
 * SIGINT (it may run as PID 1, where the kernel gives no default action to those signals).
 * One request per connection, served in turn: an example, not a web server.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define MAX_REQUEST 65536

static volatile sig_atomic_t stopping;

static void on_signal(int sig) { (void)sig; stopping = 1; }

static int write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

static void respond(int fd, int status, const char *reason, const char *body, size_t len) {
  char head[256];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n",
                   status, reason, len);
  if (write_all(fd, head, (size_t)n) == 0 && len > 0) write_all(fd, body, len);
}

static void respond_text(int fd, int status, const char *reason, const char *text) {
  respond(fd, status, reason, text, strlen(text));
}

/* Reads the request line, headers and (up to Content-Length) body into buf; returns its length. */
static ssize_t read_request(int fd, char *buf, size_t cap, char **body, size_t *body_len) {
  size_t used = 0;
  char *end = NULL;
  while (!end) {
    if (used == cap - 1) return -1;
    ssize_t n = read(fd, buf + used, cap - 1 - used);
    if (n <= 0) return -1;
    used += (size_t)n;
    buf[used] = '\0';
    end = strstr(buf, "\r\n\r\n");
  }
  *body = end + 4;
  size_t want = 0;
  for (char *h = strstr(buf, "\r\n"); h && h < end; h = strstr(h + 2, "\r\n")) {
    if (strncasecmp(h + 2, "Content-Length:", 15) == 0) want = strtoul(h + 17, NULL, 10);
  }
  if (want > cap - 1 - (size_t)(*body - buf)) return -1;
  while ((size_t)(buf + used - *body) < want) {
    ssize_t n = read(fd, buf + used, cap - 1 - used);
    if (n <= 0) return -1;
    used += (size_t)n;
  }
  *body_len = want;
  return (ssize_t)used;
}

static int serve_notes(int fd, const char *method, const char *file, const char *body, size_t len) {
  if (strcmp(method, "POST") == 0) {
    int out = open(file, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out < 0 || write_all(out, body, len) < 0 || (len > 0 && body[len - 1] != '\n' && write_all(out, "\n", 1) < 0)) {
      if (out >= 0) close(out);
      respond_text(fd, 500, "Internal Server Error", "cannot write the notes file\n");
      return 500;
    }
    close(out);
    respond_text(fd, 201, "Created", "saved\n");
    return 201;
  }
  if (strcmp(method, "GET") != 0) {
    respond_text(fd, 405, "Method Not Allowed", "GET or POST\n");
    return 405;
  }
  static char notes[MAX_REQUEST];
  size_t n = 0;
  int in = open(file, O_RDONLY);
  if (in >= 0) {
    ssize_t r;
    while (n < sizeof notes && (r = read(in, notes + n, sizeof notes - n)) > 0) n += (size_t)r;
    close(in);
  }
  respond(fd, 200, "OK", notes, n);
  return 200;
}

static void handle(int fd, const char *peer, int notes_mode, const char *notes_file) {
  static char buf[MAX_REQUEST + 1024];
  char *body = NULL;
  size_t body_len = 0;
  char method[16] = "?", target[256] = "?";
  int status;
  if (read_request(fd, buf, sizeof buf, &body, &body_len) < 0 ||
      sscanf(buf, "%15s %255s", method, target) != 2) {
    respond_text(fd, 400, "Bad Request", "bad request\n");
    status = 400;
  } else if (strcmp(target, "/") == 0 && strcmp(method, "GET") == 0) {
    char host[256] = "unknown", text[400];
    const char *greeting = getenv("GREETING");
    gethostname(host, sizeof host - 1);
    /* GREETING from the deployment's env, to show that a rolling update's env arrived */
    if (greeting && *greeting)
      snprintf(text, sizeof text, "Hello from Berth! host=%s greeting=%.100s\n", host, greeting);
    else
      snprintf(text, sizeof text, "Hello from Berth! host=%s\n", host);
    respond_text(fd, 200, "OK", text);
    status = 200;
  } else if (notes_mode && strcmp(target, "/notes") == 0) {
    status = serve_notes(fd, method, notes_file, body, body_len);
  } else {
    respond_text(fd, 404, "Not Found", "not found\n");
    status = 404;
  }
  printf("%s %s %d %s\n", method, target, status, peer);
  fflush(stdout);
}

int main(int argc, char **argv) {
  int notes_mode = argc > 1 && strcmp(argv[1], "notes") == 0;
  const char *port_env = getenv("PORT");
  const char *notes_file = getenv("NOTES_FILE") ? getenv("NOTES_FILE") : "/data/notes.txt";
  int port = port_env ? atoi(port_env) : 8080;
  if (port <= 0 || port > 65535) {
    fprintf(stderr, "hello: bad PORT %s\n", port_env);
    return 2;
  }
  /* No SA_RESTART: accept() returns EINTR so the loop sees the flag. */
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  int srv = socket(AF_INET6, SOCK_STREAM, 0);
  int v6 = srv >= 0;
  if (!v6) srv = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1, zero = 0;
  setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int bound;
  if (v6) {
    setsockopt(srv, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = in6addr_any};
    bound = bind(srv, (struct sockaddr *)&a6, sizeof a6);
  } else {
    struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = INADDR_ANY};
    bound = bind(srv, (struct sockaddr *)&a4, sizeof a4);
  }
  if (srv < 0 || bound < 0 || listen(srv, 64) < 0) {
    perror("hello: listen");
    return 1;
  }
  printf("%s listening on port %d\n", notes_mode ? "notes" : "hello", port);
  fflush(stdout);

  while (!stopping) {
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    int fd = accept(srv, (struct sockaddr *)&peer, &plen);
    if (fd < 0) continue; /* EINTR on a signal, or a transient error */
    struct timeval tv = {.tv_sec = 5}; /* a silent client cannot hold the only worker */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    char addr[INET6_ADDRSTRLEN] = "?";
    if (peer.ss_family == AF_INET6) {
      struct in6_addr *ip = &((struct sockaddr_in6 *)&peer)->sin6_addr;
      if (IN6_IS_ADDR_V4MAPPED(ip)) inet_ntop(AF_INET, &ip->s6_addr[12], addr, sizeof addr);
      else inet_ntop(AF_INET6, ip, addr, sizeof addr);
    } else {
      inet_ntop(AF_INET, &((struct sockaddr_in *)&peer)->sin_addr, addr, sizeof addr);
    }
    handle(fd, addr, notes_mode, notes_file);
    close(fd);
  }
  printf("%s: stopping on signal\n", notes_mode ? "notes" : "hello");
  return 0;
}
