/* The environment from the kernel command line (grammar and limits: include/berth/env.h).
 * Parsed once by kmain before anything else reads the command line; os_getenv reads the table.
 * No heap: names and values are copied into one static buffer as long as the command line. */
#include <berth/env.h>
#include <berth/os.h>
#include <string.h>

struct var {
    const char *name, *value;
};

static char store[ENV_CMDLINE_MAX];
static struct var vars[ENV_MAX_VARS];
static int nvars;

static int blank(char c) { return c == ' ' || c == '\t' || c == '\n'; }
static int name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
static int name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

/* One env token at p (just past "env."); on success *end is past the token and the pair is
 * copied to store at *used. Returns NULL or the reason. */
static const char *token(const char *p, const char **end, size_t *used, struct var *out) {
    const char *n = p;
    if (!name_start(*p)) return "the name must start with a letter or _";
    while (name_char(*p)) p++;
    size_t nlen = (size_t)(p - n);
    if (nlen > ENV_MAX_NAME) return "the name is longer than 128 bytes";
    if (*p != '=') return "the name must be letters, digits and _, followed by =";
    p++;
    char *name = store + *used; /* room: see env_parse */
    memcpy(name, n, nlen);
    name[nlen] = 0;
    char *v = name + nlen + 1, *w = v;
    const size_t max = ENV_MAX_VALUE;
    if (*p == '"') {
        for (p++;; p++) {
            unsigned char c = (unsigned char)*p;
            if (c == 0) return "the quoted value has no closing \"";
            if (c == '"') break;
            if (c == '\\') {
                c = (unsigned char)*++p;
                if (c != '"' && c != '\\') return "in a quoted value \\ must be followed by \" or \\";
            } else if (c < 0x20 || c > 0x7e) {
                return "the value has a byte outside printable ASCII";
            }
            if ((size_t)(w - v) == max) return "the value is longer than 1024 bytes";
            *w++ = (char)c;
        }
        p++;
        if (*p && !blank(*p)) return "the closing \" must end the word";
    } else {
        for (; *p && !blank(*p); p++) {
            unsigned char c = (unsigned char)*p;
            if (c == '"' || c == '\\') return "\" and \\ are allowed only in a quoted value";
            if (c < 0x21 || c > 0x7e) return "the value has a byte outside printable ASCII";
            if ((size_t)(w - v) == max) return "the value is longer than 1024 bytes";
            *w++ = (char)c;
        }
    }
    *w++ = 0;
    *used = (size_t)(w - store);
    out->name = name;
    out->value = v;
    *end = p;
    return NULL;
}

static int fail(const char *reason, const char **why, size_t *at, size_t off) {
    nvars = 0;
    if (why) *why = reason;
    if (at) *at = off;
    return -1;
}

int env_parse(const char *cmdline, char *rest, size_t rest_cap, const char **why, size_t *at) {
    size_t used = 0, r = 0;
    nvars = 0;
    /* A token's copy (name, NUL, value, NUL) is never longer than the token ("env." and "="
     * pay for the NULs, quotes and escapes only shrink), so a command line that fits the
     * platform's buffer fits store. */
    if (strlen(cmdline) >= sizeof store)
        return fail("the command line is longer than 2047 bytes", why, at, sizeof store - 1);
    if (rest && rest_cap < strlen(cmdline) + 1) return fail("no room for the rest", why, at, 0);
    for (const char *p = cmdline;;) {
        while (blank(*p)) p++;
        if (!*p) break;
        size_t off = (size_t)(p - cmdline);
        if (strncmp(p, "env.", 4) != 0) {
            const char *e = p;
            while (*e && !blank(*e)) e++;
            if (rest) {
                if (r) rest[r++] = ' ';
                memcpy(rest + r, p, (size_t)(e - p));
                r += (size_t)(e - p);
            }
            p = e;
            continue;
        }
        struct var v;
        const char *reason = token(p + 4, &p, &used, &v);
        if (reason) return fail(reason, why, at, off);
        int i = 0;
        while (i < nvars && strcmp(vars[i].name, v.name) != 0) i++;
        if (i == ENV_MAX_VARS) return fail("more than 256 variables", why, at, off);
        vars[i] = v; /* a repeated name: the last one wins, in the first one's place */
        if (i == nvars) nvars++;
    }
    if (rest) rest[r] = 0;
    return nvars;
}

int env_count(void) { return nvars; }
const char *env_name(int i) { return i >= 0 && i < nvars ? vars[i].name : NULL; }

const char *os_getenv(const char *name) {
    for (int i = 0; name && i < nvars; i++)
        if (strcmp(vars[i].name, name) == 0) return vars[i].value;
    return NULL;
}
