// Starts the workload: credentials, working directory, PATH lookup, exec. A close-on-exec pipe
// tells the parent whether the exec worked, so `started` is only printed for a running program.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct exec_error {
  int err;
  char step[200];
};

static const char *env_value(char *const env[], const char *key) {
  size_t klen = strlen(key);
  for (; *env; env++)
    if (strncmp(*env, key, klen) == 0 && (*env)[klen] == '=') return *env + klen + 1;
  return NULL;
}

/* execve through PATH like execvpe, but with the workload's PATH rather than ours. */
static void exec_program(char *const argv[], char *const env[]) {
  if (strchr(argv[0], '/')) {
    execve(argv[0], argv, env);
    return;
  }
  const char *path = env_value(env, "PATH");
  if (!path) path = DEFAULT_PATH;
  int first_err = ENOENT;
  while (*path) {
    size_t n = strcspn(path, ":");
    char full[4096];
    snprintf(full, sizeof full, "%.*s/%s", (int)n, n ? path : ".", argv[0]);
    execve(full, argv, env);
    if (errno != ENOENT && first_err == ENOENT) first_err = errno; // e.g. EACCES: say so
    path += n + (path[n] == ':');
  }
  errno = first_err;
}

/* In the child: reports the failing step through the pipe and exits; never returns. */
static void child_fail(int pipe_fd, const char *step) {
  struct exec_error e = {.err = errno};
  snprintf(e.step, sizeof e.step, "%s", step);
  (void)!write(pipe_fd, &e, sizeof e);
  _exit(127);
}

static void run_child(const struct config *cfg, const sigset_t *blocked, int pipe_fd) {
  sigprocmask(SIG_UNBLOCK, blocked, NULL);
  setsid();
  int null = open("/dev/null", O_RDONLY);
  if (null >= 0) dup2(null, STDIN_FILENO); // the console is output only
  if (setgroups(0, NULL) < 0) child_fail(pipe_fd, "setgroups");
  if (setgid(cfg->gid) < 0) child_fail(pipe_fd, "setgid");
  if (setuid(cfg->uid) < 0) child_fail(pipe_fd, "setuid");
  if (chdir(cfg->cwd) < 0) child_fail(pipe_fd, "chdir");
  exec_program(cfg->argv, cfg->env);
  child_fail(pipe_fd, "exec");
}

pid_t start_workload(const struct config *cfg, const sigset_t *blocked) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) fail("pipe: %s", strerror(errno));
  pid_t pid = fork();
  if (pid < 0) fail("fork: %s", strerror(errno));
  if (pid == 0) run_child(cfg, blocked, p[1]);
  close(p[1]);
  struct exec_error e;
  ssize_t n;
  while ((n = read(p[0], &e, sizeof e)) < 0 && errno == EINTR) {
  }
  close(p[0]);
  if (n != sizeof e) return pid; // EOF: the exec closed the pipe
  waitpid(pid, NULL, 0);
  const char *arg = strcmp(e.step, "chdir") == 0 ? cfg->cwd : cfg->argv[0];
  fail("%s %s: %s", e.step, arg, strerror(e.err));
}
