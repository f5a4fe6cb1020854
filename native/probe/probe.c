// berth-probe: the isolation suite's hands inside a workload. Each subcommand tries one thing a
// contained workload must not be able to do (or measures one limit) and prints one line,
// "<check> ok|denied|... detail", so the test on the host can assert on it. Static, no libc
// features beyond POSIX and Linux syscalls.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int report(const char *check, int rc, int err) {
  if (rc == 0) {
    printf("%s allowed\n", check);
  } else {
    printf("%s denied %s\n", check, strerror(err));
  }
  fflush(stdout);
  return 0;
}

static double now_s(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// Tries to connect within timeout_ms; prints "connect reachable|unreachable HOST:PORT".
static int check_connect(const char *host, int port, int timeout_ms) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  if (fd < 0 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
    printf("connect error bad address %s\n", host);
    return 2;
  }
  int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
  int ok = rc == 0;
  if (rc < 0 && errno == EINPROGRESS) {
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    if (poll(&p, 1, timeout_ms) == 1) {
      int soerr = 0;
      socklen_t len = sizeof soerr;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
      ok = soerr == 0;
    }
  }
  printf("connect %s %s:%d\n", ok ? "reachable" : "unreachable", host, port);
  close(fd);
  return 0;
}

// Spins `threads` busy processes for `seconds` of wall time and prints the CPU they used.
static int check_cpu(int threads, double seconds) {
  double start = now_s(CLOCK_MONOTONIC);
  for (int i = 0; i < threads; i++) {
    if (fork() == 0) {
      volatile unsigned long x = 0;
      while (now_s(CLOCK_MONOTONIC) - start < seconds) x++;
      _exit(0);
    }
  }
  while (wait(NULL) > 0) {
  }
  double wall = now_s(CLOCK_MONOTONIC) - start;
  // children's CPU time, reaped above
  FILE *f = fopen("/proc/self/stat", "r");
  unsigned long cutime = 0, cstime = 0;
  if (f) {
    char buf[2048];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    char *p = strrchr(buf, ')');
    // fields after ")": state(3) ... cutime is field 16, cstime 17
    int field = 2;
    for (char *t = p ? p + 2 : buf; t && *t; t = strchr(t, ' ')) {
      if (*t == ' ') t++;
      field++;
      if (field == 16) cutime = strtoul(t, NULL, 10);
      if (field == 17) {
        cstime = strtoul(t, NULL, 10);
        break;
      }
    }
  }
  double cpu = (double)(cutime + cstime) / (double)sysconf(_SC_CLK_TCK);
  printf("cpu used %.3f wall %.3f\n", cpu, wall);
  return 0;
}

// Forks until the kernel refuses; the children sleep so they count. Prints how many it got.
static int check_forkbomb(int max) {
  int n = 0;
  int err = 0;
  for (; n < max; n++) {
    pid_t p = fork();
    if (p == 0) {
      sleep(30);
      _exit(0);
    }
    if (p < 0) {
      err = errno;
      break;
    }
  }
  printf("forkbomb stopped after %d %s\n", n, err ? strerror(err) : "not stopped");
  fflush(stdout);
  kill(0, SIGKILL);
  return 0;
}

// Orphans `n` grandchildren (their parent exits at once), waits for them to end, then counts
// zombies in the pid namespace: PID 1 must have reaped them.
static int check_orphans(int n) {
  for (int i = 0; i < n; i++) {
    pid_t p = fork();
    if (p == 0) {
      if (fork() == 0) {
        usleep(100 * 1000);
        _exit(0);
      }
      _exit(0);
    }
    waitpid(p, NULL, 0);
  }
  sleep(1);
  int zombies = 0;
  DIR *d = opendir("/proc");
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    char path[300], buf[512];
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    int fd = open(path, O_RDONLY);
    if (fd < 0) continue;
    ssize_t r = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (r <= 0) continue;
    buf[r] = 0;
    char *p = strrchr(buf, ')');
    if (p && p[1] == ' ' && p[2] == 'Z') zombies++;
  }
  if (d) closedir(d);
  printf("orphans zombies %d\n", zombies);
  return 0;
}

static int check_oom(int mib) {
  for (int i = 0; i < mib; i++) {
    char *p = malloc(1 << 20);
    if (!p) {
      printf("oom malloc failed at %d MiB\n", i);
      return 0;
    }
    memset(p, 1, 1 << 20);
  }
  printf("oom survived %d MiB\n", mib);
  return 0;
}

// Tries the cgroup v1 release_agent escape: mount a cgroup hierarchy and write release_agent.
static int check_release_agent(void) {
  mkdir("/tmp/cg", 0700);
  int rc = mount("cgroup", "/tmp/cg", "cgroup", 0, "memory");
  int err = errno;
  if (rc != 0) {
    printf("release_agent denied mount %s\n", strerror(err));
  } else {
    int fd = open("/tmp/cg/release_agent", O_WRONLY);
    err = errno;
    if (fd < 0) {
      printf("release_agent denied open %s\n", strerror(err));
    } else {
      ssize_t w = write(fd, "/x", 2);
      printf("release_agent %s\n", w == 2 ? "allowed" : "denied write");
      close(fd);
    }
  }
  // the writable places an escape would use, as runc mounts them
  const char *paths[] = {"/sys/fs/cgroup/release_agent", "/sys/fs/cgroup/memory/release_agent",
                         "/sys/fs/cgroup/notify_on_release", "/sys/fs/cgroup/memory/notify_on_release"};
  for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
    int fd = open(paths[i], O_WRONLY);
    if (fd >= 0) {
      ssize_t w = write(fd, "1", 1);
      printf("release_agent %s %s\n", w == 1 ? "allowed" : "denied", paths[i]);
      close(fd);
    }
  }
  return 0;
}

static int usage(void) {
  fprintf(stderr,
          "usage: berth-probe keyctl|unshare|ptrace|mount|release_agent|whoami\n"
          "       berth-probe write PATH | connect IP PORT [TIMEOUT_MS] | cpu THREADS SECONDS\n"
          "       berth-probe forkbomb MAX | orphans N | oom MIB | sleep\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage();
  const char *c = argv[1];
  if (!strcmp(c, "keyctl")) {
    // KEYCTL_JOIN_SESSION_KEYRING (1) with a new anonymous keyring
    long rc = syscall(SYS_keyctl, 1, 0, 0, 0, 0);
    return report("keyctl", rc < 0 ? -1 : 0, errno);
  }
  if (!strcmp(c, "unshare")) return report("unshare", unshare(CLONE_NEWUSER | CLONE_NEWNS), errno);
  if (!strcmp(c, "ptrace")) {
    pid_t child = fork();
    if (child == 0) {
      pause();
      _exit(0);
    }
    int rc = (int)ptrace(PTRACE_ATTACH, child, NULL, NULL);
    int err = errno;
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return report("ptrace", rc, err);
  }
  if (!strcmp(c, "mount")) {
    mkdir("/tmp/m", 0700);
    return report("mount", mount("tmpfs", "/tmp/m", "tmpfs", 0, NULL), errno);
  }
  if (!strcmp(c, "write") && argc == 3) {
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = errno;
    if (fd >= 0) close(fd);
    return report("write", fd < 0 ? -1 : 0, err);
  }
  if (!strcmp(c, "whoami")) {
    printf("whoami uid %d gid %d pid %d\n", (int)getuid(), (int)getgid(), (int)getpid());
    return 0;
  }
  if (!strcmp(c, "connect") && argc >= 4)
    return check_connect(argv[2], atoi(argv[3]), argc > 4 ? atoi(argv[4]) : 1000);
  if (!strcmp(c, "cpu") && argc == 4) return check_cpu(atoi(argv[2]), atof(argv[3]));
  if (!strcmp(c, "forkbomb") && argc == 3) return check_forkbomb(atoi(argv[2]));
  if (!strcmp(c, "orphans") && argc == 3) return check_orphans(atoi(argv[2]));
  if (!strcmp(c, "oom") && argc == 3) return check_oom(atoi(argv[2]));
  if (!strcmp(c, "release_agent")) return check_release_agent();
  if (!strcmp(c, "sleep")) {
    for (;;) pause();
  }
  return usage();
}
