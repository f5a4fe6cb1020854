// berth-init: PID 1 of a Berth micro-VM. It runs from the initramfs: mounts the kernel's
// filesystems, loads the virtio modules, reads the workload's config (/berth/config), switches
// root to the image's ext4 disk (/dev/vda), configures eth0 from berth.ip/berth.gw on the kernel
// command line, then runs the workload and supervises it: reaps every child, forwards signals,
// and obeys `stop` / `kill` lines on ttyS1 (the host's control channel). When the workload ends
// it reports the exit code on the console and resets the VM, which makes QEMU (-no-reboot) exit.
// Console markers (exact text, one line each, the host parses them):
//   berth-init: started pid=N   berth-init: exited code=N   berth-init: error MESSAGE
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "init.h"

void say(const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof line - 2) n = sizeof line - 2;
  line[n++] = '\n';
  // One write per line, so kernel messages cannot land in the middle of a marker.
  (void)!write(STDERR_FILENO, line, n);
}

/* Reports the exit code, flushes the disk and resets the machine; never returns. */
static void __attribute__((noreturn)) finish(int code) {
  say("berth-init: exited code=%d", code);
  kill(-1, SIGKILL);
  sync();
  // reboot=t resets through a triple fault and QEMU's -no-reboot turns the reset into an exit.
  reboot(RB_AUTOBOOT);
  for (;;) pause();
}

void fail(const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  say("berth-init: error %s", msg);
  finish(127);
}

/* The kernel gives PID 1 /dev/console as fds 0-2 only when the initramfs has that node. */
static void open_console(void) {
  int fd = open("/dev/console", O_RDWR | O_NOCTTY);
  if (fd < 0) return;
  for (int i = 0; i < 3; i++) dup2(fd, i);
  if (fd > 2) close(fd);
}

static void mount_or_fail(const char *src, const char *dst, const char *type, unsigned long flags,
                          const char *data) {
  mkdir(dst, 0755);
  if (mount(src, dst, type, flags, data) < 0 && errno != EBUSY)
    fail("mount %s on %s: %s", type ? type : src, dst, strerror(errno));
}

static void mount_kernel_filesystems(void) {
  mount_or_fail("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mount_or_fail("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mount_or_fail("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
  open_console();
}

/* Loads the modules named in /lib/berth-modules/order, one per line, in that order. */
static void load_modules(void) {
  FILE *order = fopen(MODULE_DIR "/order", "re");
  if (!order) return; // a kernel with the drivers built in needs none
  char name[256], path[512];
  while (fgets(name, sizeof name, order)) {
    name[strcspn(name, "\r\n")] = 0;
    if (!name[0]) continue;
    snprintf(path, sizeof path, "%s/%s", MODULE_DIR, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("open module %s: %s", path, strerror(errno));
    if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)
      fail("load module %s: %s", name, strerror(errno));
    close(fd);
  }
  fclose(order);
}

/* Polls for a path that a driver creates asynchronously; false after timeout_ms. */
int wait_for(const char *path, int timeout_ms) {
  struct timespec step = {0, 10 * 1000 * 1000};
  for (int waited = 0; waited <= timeout_ms; waited += 10) {
    if (access(path, F_OK) == 0) return 1;
    nanosleep(&step, NULL);
  }
  return 0;
}

/* Mounts the disk and makes it the root; the kernel filesystems move along. */
static void switch_root(void) {
  if (!wait_for(ROOT_DEVICE, 5000)) fail("no %s after 5 s (virtio_blk not loaded?)", ROOT_DEVICE);
  mount_or_fail(ROOT_DEVICE, NEW_ROOT, "ext4", 0, NULL);
  const char *moved[] = {"/proc", "/sys", "/dev"};
  for (size_t i = 0; i < sizeof moved / sizeof *moved; i++) {
    char target[64];
    snprintf(target, sizeof target, "%s%s", NEW_ROOT, moved[i]);
    mkdir(target, 0755); // images often lack /proc or /sys; the disk is a throwaway overlay
    if (mount(moved[i], target, NULL, MS_MOVE, NULL) < 0)
      fail("move %s to %s: %s", moved[i], target, strerror(errno));
  }
  if (chdir(NEW_ROOT) < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
      chdir("/") < 0)
    fail("switch root to %s: %s", ROOT_DEVICE, strerror(errno));
}

/* ttyS1 in raw mode: no echo back to the host, no line editing, bytes as they come. */
static int open_control(void) {
  int fd = open(CONTROL_TTY, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return -1; // no control channel: the host can still stop the VM through QMP
  struct termios t;
  if (tcgetattr(fd, &t) == 0) {
    cfmakeraw(&t);
    tcsetattr(fd, TCSANOW, &t);
  }
  return fd;
}

/* Reads what arrived on the control channel and acts on each complete line. */
static void read_control(int fd, pid_t workload) {
  static char buf[256];
  static size_t len;
  ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
  if (n <= 0) return;
  len += n;
  char *start = buf, *nl;
  while ((nl = memchr(start, '\n', buf + len - start))) {
    *nl = 0;
    if (nl > start && nl[-1] == '\r') nl[-1] = 0;
    if (strcmp(start, "stop") == 0) kill(workload, SIGTERM);
    else if (strcmp(start, "kill") == 0) kill(workload, SIGKILL);
    start = nl + 1;
  }
  len = buf + len - start;
  memmove(buf, start, len);
  if (len == sizeof buf - 1) len = 0; // a line this long is no command: drop it
}

static int code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

/* Reaps every child (orphans are reparented to us); returns the workload's code or -1. */
static int reap(pid_t workload) {
  int status, code = -1;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
    if (pid == workload) code = code_of(status);
  return code;
}

/* Waits for the workload while handling signals and the control channel; never returns. */
static void supervise(pid_t workload, int sigfd, int ctl) {
  struct pollfd fds[2] = {{sigfd, POLLIN, 0}, {ctl, POLLIN, 0}};
  for (;;) {
    if (poll(fds, ctl >= 0 ? 2 : 1, -1) < 0 && errno != EINTR) fail("poll: %s", strerror(errno));
    if (ctl >= 0 && fds[1].revents & POLLIN) read_control(ctl, workload);
    struct signalfd_siginfo si;
    if (!(fds[0].revents & POLLIN) || read(sigfd, &si, sizeof si) != sizeof si) continue;
    if (si.ssi_signo != SIGCHLD) {
      kill(workload, si.ssi_signo);
      continue;
    }
    int code = reap(workload);
    if (code >= 0) finish(code);
  }
}

int main(void) {
  if (getpid() != 1) {
    fprintf(stderr, "berth-init: must run as PID 1 of a micro-VM\n");
    return 2;
  }
  mount_kernel_filesystems();
  load_modules();
  struct config cfg;
  read_config(CONFIG_PATH, &cfg); // before switch_root: it lives in the initramfs
  switch_root();
  setup_network();
  if (cfg.hostname && sethostname(cfg.hostname, strlen(cfg.hostname)) < 0)
    fail("sethostname %s: %s", cfg.hostname, strerror(errno));

  sigset_t handled;
  sigemptyset(&handled);
  int forwarded[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++) sigaddset(&handled, forwarded[i]);
  sigprocmask(SIG_BLOCK, &handled, NULL);
  int sigfd = signalfd(-1, &handled, SFD_CLOEXEC);
  if (sigfd < 0) fail("signalfd: %s", strerror(errno));
  int ctl = open_control();

  pid_t pid = start_workload(&cfg, &handled);
  say("berth-init: started pid=%d", pid);
  supervise(pid, sigfd, ctl);
}
