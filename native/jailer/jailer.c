// berth-jailer: starts a micro-VM's VMM (QEMU) in a jail, in the spirit of Firecracker's jailer.
// Run as root by the agent; it execs the VMM, so the VMM's pid is the jailer's.
//
// Usage:
//   berth-jailer --root DIR --vm DIR --uid N --gid N [--cgroup DIR]... [--dev /dev/X]...
//                [--ro HOST:JAIL]... [--env KEY=VALUE]... -- PROGRAM [ARG]...
//
//   --root DIR    an empty directory on the host; the jail's root tmpfs is mounted over it in the
//                 jailer's own mount namespace only (the host never sees the mount)
//   --vm DIR      the instance's directory for the VMM, bound read-write at /vm
//   --uid/--gid   the unprivileged ids the VMM runs as (0 is refused)
//   --cgroup DIR  a cgroup directory to join (v1 or v2): the pid is written to DIR/cgroup.procs
//                 while still root, so the VMM and all its threads are accounted there
//   --dev PATH    a character device under /dev the jail gets (/dev/net/tun, /dev/kvm, /dev/null,
//                 /dev/urandom, ...): a node of its own with the host's numbers, owned by uid:gid
//                 mode 0600, as Firecracker's jailer makes them. A bind of the host's node would
//                 share its inode and owner, and hosts without udev have /dev/net/tun as root 0600.
//   --ro H:J      a host file or directory bound read-only (and noexec) at jail path J (kernel, rootfs)
//   --env K=V     the VMM's whole environment (nothing of the jailer's is passed on)
//   PROGRAM       an absolute path as seen inside the jail, e.g. /usr/bin/qemu-system-x86_64
//
// The steps: close inherited fds above 2; join the cgroups; unshare(CLONE_NEWNS) and make every
// mount private (nothing propagates back to the host); a tmpfs root holding only /usr (read-only
// bind), /bin /sbin /lib /lib64 as the host has them (symlinks into /usr on a merged-/usr host,
// read-only binds otherwise), the listed device nodes, the ro binds and /vm; the root remounted
// read-only; pivot_root into it and the old root detached; a new session; setgroups(0), setresgid,
// setresuid (which clears every capability), PR_SET_NO_NEW_PRIVS, no core dumps; then execve.
// No /proc, /sys, /etc, /home, /var or /tmp: QEMU 7.2 runs micro-VMs without them (it finds its
// firmware under /usr/share/qemu; its -drive snapshot overlay goes to $TMPDIR, which the caller
// points into /vm).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_ITEMS 32

static void die(const char *fmt, ...) {
  va_list ap;
  int err = errno;
  fputs("berth-jailer: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  if (err) fprintf(stderr, ": %s", strerror(err));
  fputc('\n', stderr);
  exit(126);
}

static void usage(const char *msg) {
  errno = 0;
  die("%s (usage: berth-jailer --root DIR --vm DIR --uid N --gid N [--cgroup DIR]... [--dev PATH]... "
      "[--ro HOST:JAIL]... [--env K=V]... -- PROGRAM [ARG]...)",
      msg);
}

static unsigned id_of(const char *s) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || *s == '\0' || *end != '\0' || v == 0 || v >= 0xffffffffUL) usage("uid/gid must be a number > 0");
  return (unsigned)v;
}

static void join_path(char *out, const char *root, const char *rel) {
  if (snprintf(out, PATH_MAX, "%s%s", root, rel) >= PATH_MAX) usage("path too long");
}

/* mkdir -p of every directory above `path` (inside the jail's tmpfs). */
static void make_parents(const char *path) {
  char buf[PATH_MAX];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(buf, 0755) && errno != EEXIST) die("mkdir %s", buf);
    *p = '/';
  }
}

/* An empty file or directory to bind over, like the source. */
static void make_target(const char *source, const char *target) {
  struct stat st;
  if (stat(source, &st)) die("stat %s", source);
  make_parents(target);
  if (S_ISDIR(st.st_mode)) {
    if (mkdir(target, 0755) && errno != EEXIST) die("mkdir %s", target);
  } else {
    int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) die("create %s", target);
    close(fd);
  }
}

/* A bind mount, then remounted with `flags` (a bind ignores them on the first call). */
static void bind(const char *source, const char *target, unsigned long flags, int recursive) {
  make_target(source, target);
  if (mount(source, target, NULL, MS_BIND | (recursive ? MS_REC : 0), NULL)) die("bind %s", source);
  if (mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | flags, NULL)) die("remount %s", target);
}

/* /bin, /sbin, /lib, /lib64 as the host has them: the dynamic loader is /lib64/ld-linux-x86-64.so.2. */
static void top_level(const char *root, const char *name) {
  char host[PATH_MAX], jail[PATH_MAX], link[PATH_MAX];
  struct stat st;
  snprintf(host, sizeof host, "/%s", name);
  join_path(jail, root, host);
  if (lstat(host, &st)) return;
  if (S_ISLNK(st.st_mode)) {
    ssize_t n = readlink(host, link, sizeof link - 1);
    if (n < 0) die("readlink %s", host);
    link[n] = '\0';
    if (symlink(link, jail)) die("symlink %s", jail);
  } else if (S_ISDIR(st.st_mode)) {
    bind(host, jail, MS_RDONLY | MS_NOSUID | MS_NODEV, 1);
  }
}

/* The jail's own node for a host character device, usable only by the VMM's uid. */
static void device(const char *root, const char *path, unsigned uid, unsigned gid) {
  char jail[PATH_MAX];
  struct stat st;
  if (stat(path, &st)) die("stat %s", path);
  if (!S_ISCHR(st.st_mode)) {
    errno = 0;
    die("%s is not a character device", path);
  }
  join_path(jail, root, path);
  make_parents(jail);
  if (mknod(jail, S_IFCHR | 0600, st.st_rdev)) die("mknod %s", jail);
  if (chown(jail, uid, gid)) die("chown %s", jail);
}

static void close_inherited(void) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0) return;
#endif
  long max = sysconf(_SC_OPEN_MAX);
  for (long fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++) close((int)fd);
}

static void join_cgroup(const char *dir) {
  char path[PATH_MAX], pid[32];
  if (snprintf(path, sizeof path, "%s/cgroup.procs", dir) >= (int)sizeof path) usage("cgroup path too long");
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) die("open %s", path);
  int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
  if (write(fd, pid, n) != n) die("join %s", dir);
  close(fd);
}

int main(int argc, char **argv) {
  const char *root = NULL, *vm = NULL, *cgroups[MAX_ITEMS], *devs[MAX_ITEMS], *ros[MAX_ITEMS];
  char *env[MAX_ITEMS + 1];
  int ncg = 0, ndev = 0, nro = 0, nenv = 0, i;
  unsigned uid = 0, gid = 0;
  close_inherited();
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--")) break;
    if (i + 1 >= argc) usage("missing value");
    const char *v = argv[++i];
    if (!strcmp(a, "--root")) root = v;
    else if (!strcmp(a, "--vm")) vm = v;
    else if (!strcmp(a, "--uid")) uid = id_of(v);
    else if (!strcmp(a, "--gid")) gid = id_of(v);
    else if (!strcmp(a, "--cgroup") && ncg < MAX_ITEMS) cgroups[ncg++] = v;
    else if (!strcmp(a, "--dev") && ndev < MAX_ITEMS) devs[ndev++] = v;
    else if (!strcmp(a, "--ro") && nro < MAX_ITEMS) ros[nro++] = v;
    else if (!strcmp(a, "--env") && nenv < MAX_ITEMS) env[nenv++] = (char *)v;
    else usage("unknown option or too many of one kind");
  }
  env[nenv] = NULL;
  if (i + 1 >= argc || !root || !vm || !uid || !gid) usage("--root, --vm, --uid, --gid and a program are required");
  char **prog = argv + i + 1;
  if (prog[0][0] != '/') usage("the program must be an absolute path");
  for (int d = 0; d < ndev; d++)
    if (strncmp(devs[d], "/dev/", 5) || strstr(devs[d], "..")) usage("--dev takes a path under /dev");

  for (int c = 0; c < ncg; c++) join_cgroup(cgroups[c]);

  if (unshare(CLONE_NEWNS)) die("unshare(CLONE_NEWNS)");
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) die("make / rprivate");
  // Not nodev: the device nodes live on it. Every bind below is nodev.
  if (mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=1m,nr_inodes=256,mode=0755"))
    die("mount tmpfs on %s", root);

  char jail[PATH_MAX];
  join_path(jail, root, "/usr");
  bind("/usr", jail, MS_RDONLY | MS_NOSUID | MS_NODEV, 1);
  top_level(root, "bin");
  top_level(root, "sbin");
  top_level(root, "lib");
  top_level(root, "lib64");
  for (int d = 0; d < ndev; d++) device(root, devs[d], uid, gid);
  for (int r = 0; r < nro; r++) {
    char host[PATH_MAX];
    const char *colon = strchr(ros[r], ':');
    if (!colon || colon == ros[r] || colon[1] != '/' || strstr(colon, "..")) usage("--ro takes HOST:/JAIL");
    snprintf(host, sizeof host, "%.*s", (int)(colon - ros[r]), ros[r]);
    join_path(jail, root, colon + 1);
    bind(host, jail, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0);
  }
  join_path(jail, root, "/vm");
  bind(vm, jail, MS_NOSUID | MS_NODEV | MS_NOEXEC, 0);
  // Nothing can be added to the jail's root afterwards, not even by a VMM that got root back.
  if (mount(NULL, root, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL))
    die("remount the jail root read-only");

  if (chdir(root)) die("chdir %s", root);
  if (syscall(SYS_pivot_root, ".", ".")) die("pivot_root");
  // The old root is stacked under the new one: detaching "." unmounts it, leaving the jail.
  if (umount2(".", MNT_DETACH)) die("detach the old root");
  if (chdir("/")) die("chdir /");

  setsid(); /* fails harmlessly when the caller already made us a session leader */
  if (setgroups(0, NULL)) die("setgroups");
  if (setresgid(gid, gid, gid)) die("setresgid %u", gid);
  if (setresuid(uid, uid, uid)) die("setresuid %u", uid);
  if (getuid() != uid || geteuid() != uid || getgid() != gid) usage("the ids did not change");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) die("PR_SET_NO_NEW_PRIVS");
  // A crashing VMM must not hand the guest's memory to the host's core handler.
  struct rlimit no_core = {0, 0};
  if (setrlimit(RLIMIT_CORE, &no_core)) die("setrlimit(RLIMIT_CORE)");
  umask(077);
  execve(prog[0], prog, env);
  die("execve %s", prog[0]);
}
