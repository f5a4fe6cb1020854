// Shared by the parts of berth-init (see init.c for what it does).
#pragma once
#include <signal.h>
#include <sys/types.h>

#define MODULE_DIR "/lib/berth-modules"
#define CONFIG_PATH "/berth/config"
#define ROOT_DEVICE "/dev/vda"
#define NEW_ROOT "/newroot"
#define CONTROL_TTY "/dev/ttyS1"

/* The workload, from /berth/config: NUL-terminated entries, a one-letter tag then the value. */
struct config {
  char **argv; // A entries, in order, NULL-terminated
  char **env;  // E entries (KEY=VALUE), NULL-terminated
  const char *cwd;          // C, default "/"
  uid_t uid;                // U uid:gid, default 0:0
  gid_t gid;
  const char *hostname; // H, NULL when absent
};

/* Prints one line on the console. */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints `berth-init: error MESSAGE`, reports exit code 127 and resets the VM. */
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Polls for a path that a driver creates asynchronously; false after timeout_ms. */
int wait_for(const char *path, int timeout_ms);

void read_config(const char *path, struct config *cfg);
/* eth0 from berth.ip=A.B.C.D/N and berth.gw=A.B.C.D on /proc/cmdline; lo always. */
void setup_network(void);
/* Forks and execs the workload; returns its pid once the exec succeeded (fails otherwise). */
pid_t start_workload(const struct config *cfg, const sigset_t *blocked);
