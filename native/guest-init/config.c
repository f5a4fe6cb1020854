// Reads /berth/config, which the host writes into the per-instance part of the initramfs.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "init.h"

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "re");
  if (!f) fail("open %s: %s", path, strerror(errno));
  char *data = NULL;
  size_t cap = 0;
  *len = 0;
  for (;;) {
    if (*len == cap && !(data = realloc(data, cap = cap * 2 + 4096))) fail("config: out of memory");
    size_t n = fread(data + *len, 1, cap - *len, f);
    if (n == 0) break;
    *len += n;
  }
  fclose(f);
  return data;
}

static unsigned long number(const char *s, char **end) {
  errno = 0;
  unsigned long v = strtoul(s, end, 10);
  if (errno || *end == s) fail("config: bad number in %s", s);
  return v;
}

static void parse_user(const char *value, struct config *cfg) {
  char *end;
  cfg->uid = number(value, &end);
  if (*end != ':') fail("config: U wants uid:gid, got %s", value);
  cfg->gid = number(end + 1, &end);
  if (*end) fail("config: U wants uid:gid, got %s", value);
}

/* Checks the NUL terminators and counts the entries with the given tag. */
static size_t count_tag(const char *data, size_t len, char tag) {
  size_t n = 0;
  for (const char *entry = data; entry < data + len; entry += strlen(entry) + 1) {
    if (!memchr(entry, 0, data + len - entry)) fail("config: last entry is not NUL-terminated");
    n += entry[0] == tag;
  }
  return n;
}

void read_config(const char *path, struct config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->cwd = "/";
  size_t len, argc = 0, envc = 0;
  char *data = slurp(path, &len);
  cfg->argv = calloc(count_tag(data, len, 'A') + 1, sizeof(char *));
  cfg->env = calloc(count_tag(data, len, 'E') + 1, sizeof(char *));
  if (!cfg->argv || !cfg->env) fail("config: out of memory");
  for (char *entry = data; entry < data + len; entry += strlen(entry) + 1) {
    char *value = entry + 1;
    switch (entry[0]) {
    case 'A': cfg->argv[argc++] = value; break;
    case 'E': cfg->env[envc++] = value; break;
    case 'C': cfg->cwd = value; break;
    case 'U': parse_user(value, cfg); break;
    case 'H': cfg->hostname = value; break;
    case 0: break; // an empty entry carries nothing
    default: fail("config: unknown entry tag '%c'", entry[0]);
    }
  }
  if (argc == 0) fail("config: no command (no A entry)");
}
