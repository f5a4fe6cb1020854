// berth-shim: the container driver's per-container supervisor, like containerd's shim or conmon,
// in a few kilobytes of RSS. It becomes a child subreaper, runs `runc create` (which hands the
// container the shim's stdout and stderr: the instance's console.log, opened O_APPEND by the agent)
// and `runc start`, then waits for the container's init, which is reparented to it, and writes
// its exit code (128+signal when killed) to EXITFILE atomically. It outlives the agent, so a
// restarted agent still learns the code. Usage: berth-shim RUNC ROOT BUNDLE ID PIDFILE EXITFILE
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *exit_file;

static void write_exit(int code) {
  char tmp[4096], text[16];
  snprintf(tmp, sizeof tmp, "%s.tmp", exit_file);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  int n = snprintf(text, sizeof text, "%d\n", code);
  (void)!write(fd, text, n);
  fsync(fd);
  close(fd);
  rename(tmp, exit_file);
}

static int code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

/* Runs runc with the given arguments and returns its exit code. */
static int run(char *const argv[]) {
  pid_t pid = fork();
  if (pid < 0) return 255;
  if (pid == 0) {
    execv(argv[0], argv);
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return 255;
  return code_of(status);
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s RUNC ROOT BUNDLE ID PIDFILE EXITFILE\n", argv[0]);
    return 2;
  }
  char *runc = argv[1], *root = argv[2], *bundle = argv[3], *id = argv[4], *pid_file = argv[5];
  exit_file = argv[6];
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  if (prctl(PR_SET_CHILD_SUBREAPER, 1)) { perror("berth-shim: subreaper"); write_exit(255); return 1; }
  if (chdir("/")) { /* nothing depends on the cwd */ }
  char *create[] = {runc, "--root", root, "create", "--bundle", bundle, "--pid-file", pid_file, id, NULL};
  int rc = run(create);
  if (rc != 0) { write_exit(rc); return 1; }
  char text[32] = {0};
  int fd = open(pid_file, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read(fd, text, sizeof text - 1) <= 0) { write_exit(255); return 1; }
  close(fd);
  pid_t init = (pid_t)atoi(text);
  char *start[] = {runc, "--root", root, "start", id, NULL};
  rc = run(start);
  if (rc != 0) {
    // Never started: without the pid file the driver reports runc's failure, not a workload's exit.
    kill(init, SIGKILL);
    unlink(pid_file);
  }
  // Reap everything reparented to us; the init's status is the container's.
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      write_exit(255); /* ECHILD: the init was never ours */
      return 1;
    }
    if (pid == init) {
      write_exit(rc != 0 ? rc : code_of(status));
      return 0;
    }
  }
}
