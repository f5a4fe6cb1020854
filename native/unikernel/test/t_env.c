/* The environment from the command line (platform/env.c, grammar in berth/env.h): quoting and
 * escapes, duplicates, names that prefix one another, the limits, and garbage that must fail the
 * parse (the platform then halts) without reading past the line. */
#include <stdlib.h>
#include <string.h>

#include <berth/env.h>

#include "harness.h"

static char rest[ENV_CMDLINE_MAX + 64];
static const char *why;
static size_t at;

static int parse(const char *s) {
    why = NULL;
    at = 0;
    return env_parse(s, rest, sizeof rest, &why, &at);
}

static int is(const char *name, const char *want) {
    const char *v = os_getenv(name);
    return v && strcmp(v, want) == 0;
}

static void test_values(void) {
    CHECK(parse("") == 0 && rest[0] == 0 && os_getenv("A") == NULL);
    CHECK(parse("env.A=1") == 1 && is("A", "1") && rest[0] == 0);
    CHECK(parse("env.GREETING=\"hi there\"") == 1 && is("GREETING", "hi there"));
    CHECK(parse("env.E= env.F=\"\"") == 2 && is("E", "") && is("F", ""));
    CHECK(parse("env.Q=\"say \\\"hi\\\" \\\\o/\"") == 1 && is("Q", "say \"hi\" \\o/"));
    CHECK(parse("env.S=\"  spaced  \"") == 1 && is("S", "  spaced  "));
    CHECK(parse("env.U=a=b,c:d/e'f") == 1 && is("U", "a=b,c:d/e'f"));
    CHECK(parse("env._x9=1 env.a=2") == 2 && is("_x9", "1") && is("a", "2") && !os_getenv("A"));
    /* The other words are left for the platform, env tokens out of them, even quoted ones that
     * hold a netdev.ip= of their own. */
    CHECK(parse("  verbose\tenv.X=\"netdev.ip=6.6.6.6/8:6.6.6.1 y\"  netdev.ip=10.0.2.15/24:10.0.2.2 "
                "virtio_mmio.device=512@0xfeb00e00:12\n") == 1);
    CHECK(strcmp(rest, "verbose netdev.ip=10.0.2.15/24:10.0.2.2 virtio_mmio.device=512@0xfeb00e00:12") == 0);
    CHECK(is("X", "netdev.ip=6.6.6.6/8:6.6.6.1 y"));
    struct net_config c;
    CHECK(net_config_from_cmdline(rest, &c) == 0 && c.ip == US_IP);
    /* Not env tokens: another case, no dot, a word that merely contains env. */
    CHECK(parse("ENV.A=1 env=1 xenv.A=1 env") == 0 && strcmp(rest, "ENV.A=1 env=1 xenv.A=1 env") == 0);
    CHECK(env_parse("env.A=1", NULL, 0, NULL, NULL) == 1 && is("A", "1")); /* rest and why optional */
}

static void test_names(void) {
    /* Duplicates: the last wins and keeps the first one's place; the count does not grow. */
    CHECK(parse("env.A=1 env.B=2 env.A=\"3 4\"") == 2 && is("A", "3 4") && is("B", "2"));
    CHECK(strcmp(env_name(0), "A") == 0 && strcmp(env_name(1), "B") == 0 && env_name(2) == NULL);
    /* A name that is a prefix of another: exact matches only, in either order. */
    CHECK(parse("env.GREET=a env.GREETING=b env.GREETINGS=c") == 3);
    CHECK(is("GREET", "a") && is("GREETING", "b") && is("GREETINGS", "c") && !os_getenv("GREE"));
    CHECK(parse("env.GREETING=b env.GREET=a") == 2 && is("GREET", "a") && is("GREETING", "b"));
    CHECK(!os_getenv("") && !os_getenv(NULL));
    /* A new parse replaces the table. */
    CHECK(parse("env.Z=1") == 1 && !os_getenv("GREET") && is("Z", "1"));
}

static void test_limits(void) {
    static char line[4096], big[ENV_MAX_VALUE + 2];
    memset(big, 'v', sizeof big - 1);
    big[ENV_MAX_VALUE] = 0; /* exactly the most a value may hold */
    snprintf(line, sizeof line, "env.V=%s", big);
    CHECK(parse(line) == 1 && strlen(os_getenv("V")) == ENV_MAX_VALUE);
    snprintf(line, sizeof line, "env.V=\"%s\"", big);
    CHECK(parse(line) == 1 && strlen(os_getenv("V")) == ENV_MAX_VALUE);
    big[ENV_MAX_VALUE] = 'v'; /* one more */
    snprintf(line, sizeof line, "env.A=1 env.V=%s", big);
    CHECK(parse(line) == -1 && strstr(why, "longer than 1024") && at == 8 && !os_getenv("A"));
    snprintf(line, sizeof line, "env.V=\"%s\"", big);
    CHECK(parse(line) == -1 && strstr(why, "longer than 1024"));
    /* Names up to 128 bytes. */
    char name[ENV_MAX_NAME + 2];
    memset(name, 'N', sizeof name - 1);
    name[ENV_MAX_NAME] = 0;
    snprintf(line, sizeof line, "env.%s=1", name);
    CHECK(parse(line) == 1 && is(name, "1"));
    name[ENV_MAX_NAME] = 'N';
    name[ENV_MAX_NAME + 1] = 0;
    snprintf(line, sizeof line, "env.%s=1", name);
    CHECK(parse(line) == -1 && strstr(why, "name is longer"));
    /* 256 names fit, the 257th does not; repeating a name does not count. Short names (the 53
     * one-letter ones first) to get that many into 2047 bytes. */
    static const char letters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";
    size_t n = 0;
    for (int i = 0; i < ENV_MAX_VARS; i++) {
        if (i < 53) n += (size_t)sprintf(line + n, "env.%c= ", letters[i]);
        else n += (size_t)sprintf(line + n, "env.%c%c= ", letters[(i - 53) / 53], letters[(i - 53) % 53]);
    }
    CHECK(parse(line) == ENV_MAX_VARS);
    sprintf(line + n, "env.A=again");
    CHECK(parse(line) == ENV_MAX_VARS && is("A", "again") && strcmp(env_name(0), "A") == 0);
    sprintf(line + n, "env.zz=1");
    CHECK(parse(line) == -1 && strstr(why, "more than 256") && at == n && env_count() == 0);
    /* A line longer than the platform's buffer is refused whole (it was cut on the way). */
    memset(line, 'x', ENV_CMDLINE_MAX);
    line[ENV_CMDLINE_MAX] = 0;
    CHECK(parse(line) == -1 && strstr(why, "longer than 2047"));
    line[ENV_CMDLINE_MAX - 1] = 0;
    CHECK(parse(line) == 0 && strlen(rest) == ENV_CMDLINE_MAX - 1);
    char small[8];
    CHECK(env_parse("env.A=1 x", small, 4, &why, &at) == -1); /* rest too small: refused, not cut */
}

static void test_garbage(void) {
    static const struct {
        const char *line, *reason;
        size_t at;
    } bad[] = {
        {"env.=1", "start with a letter", 0},
        {"env.1A=1", "start with a letter", 0},
        {"env.A", "followed by =", 0},
        {"x env.A-B=1", "followed by =", 2},
        {"env.A =1", "followed by =", 0},
        {"env.A=\"open", "no closing", 0},
        {"env.A=\"open\\\"", "no closing", 0},
        {"env.A=\"x\"y", "must end the word", 0},
        {"env.A=\"x\\n\"", "followed by", 0},
        {"env.A=\"x\\", "followed by", 0},
        {"env.A=x\"y\"", "only in a quoted", 0},
        {"env.A=x\\y", "only in a quoted", 0},
        {"env.A=\"tab\there\"", "printable ASCII", 0},
        {"env.A=\"new\nline\"", "printable ASCII", 0},
        {"env.A=\"caf\xc3\xa9\"", "printable ASCII", 0},
        {"env.A=caf\xc3\xa9", "printable ASCII", 0},
        {"env.A=\x7f", "printable ASCII", 0},
        {"env.\xff=1", "start with a letter", 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int r = parse(bad[i].line);
        CHECK(r == -1 && why && strstr(why, bad[i].reason) && at == bad[i].at && env_count() == 0);
        if (r != -1 || !why || !strstr(why, bad[i].reason))
            fprintf(stderr, "    case %zu: %d %s\n", i, r, why ? why : "(none)");
    }
    /* Random bytes (ASan watches the reads): never a crash, and a success only when the table
     * holds what the grammar allows. */
    srand(7);
    static char line[600];
    for (int round = 0; round < 20000; round++) {
        static const char alphabet[] = "env.AZ_9=\"\\ \t\x01\x7f\xc3";
        size_t len = (size_t)rand() % (sizeof line - 1);
        for (size_t i = 0; i < len; i++)
            line[i] = rand() % 4 ? alphabet[rand() % (sizeof alphabet - 1)] : (char)(rand() % 255 + 1);
        line[len] = 0;
        if (round % 3 == 0) memcpy(line, "env.", len >= 4 ? 4 : len);
        int r = parse(line);
        if (r < 0) {
            CHECK(why && env_count() == 0);
            continue;
        }
        for (int k = 0; k < r; k++) {
            const char *v = os_getenv(env_name(k));
            int ok = v && strlen(v) <= ENV_MAX_VALUE;
            for (const char *q = v; ok && *q; q++) ok = *q >= 0x20 && *q <= 0x7e;
            if (!ok) CHECK(ok);
        }
    }
}

void test_env(void) {
    test_values();
    test_names();
    test_limits();
    test_garbage();
    parse(""); /* the apps' tests start without an environment */
}
