// berth-idmap: attaches idmapped copies of directories, so that files owned by host root appear
// owned by root inside a container whose user namespace maps 0 to HOSTID. overlayfs itself cannot
// be idmapped (mount_setattr gives EINVAL), but its lower layers can; runc 1.1 makes no idmapped
// mounts, hence this helper. Usage: berth-idmap HOSTID COUNT SOURCE TARGET [SOURCE TARGET]...
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* A user namespace with the mapping, held by a child that waits on a pipe. */
static int make_userns(unsigned long base, unsigned long count, pid_t *child, int *hold) {
  int p[2];
  if (pipe2(p, O_CLOEXEC)) return -1;
  int ready[2];
  if (pipe2(ready, O_CLOEXEC)) return -1;
  *child = fork();
  if (*child < 0) return -1;
  if (*child == 0) {
    char c = 0;
    close(p[1]);
    close(ready[0]);
    if (unshare(CLONE_NEWUSER)) _exit(1);
    (void)!write(ready[1], &c, 1);
    (void)!read(p[0], &c, 1);
    _exit(0);
  }
  close(p[0]);
  close(ready[1]);
  *hold = p[1];
  char c, path[64], map[64];
  if (read(ready[0], &c, 1) != 1) return -1;
  close(ready[0]);
  snprintf(map, sizeof map, "0 %lu %lu\n", base, count);
  snprintf(path, sizeof path, "/proc/%d/uid_map", *child);
  if (write_file(path, map)) return -1;
  snprintf(path, sizeof path, "/proc/%d/gid_map", *child);
  if (write_file(path, map)) return -1;
  snprintf(path, sizeof path, "/proc/%d/ns/user", *child);
  return open(path, O_RDONLY | O_CLOEXEC);
}

int main(int argc, char **argv) {
  if (argc < 5 || (argc - 3) % 2 != 0) {
    fprintf(stderr, "usage: %s HOSTID COUNT SOURCE TARGET [SOURCE TARGET]...\n", argv[0]);
    return 2;
  }
  char *end;
  unsigned long base = strtoul(argv[1], &end, 10);
  if (*end || base == 0) { fprintf(stderr, "berth-idmap: bad HOSTID\n"); return 2; }
  unsigned long count = strtoul(argv[2], &end, 10);
  if (*end || count == 0) { fprintf(stderr, "berth-idmap: bad COUNT\n"); return 2; }
  pid_t child = -1;
  int hold = -1, rc = 1;
  int userns = make_userns(base, count, &child, &hold);
  if (userns < 0) { perror("berth-idmap: user namespace"); goto out; }
  for (int i = 3; i + 1 < argc; i += 2) {
    int tree = syscall(SYS_open_tree, AT_FDCWD, argv[i], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (tree < 0) { fprintf(stderr, "berth-idmap: open_tree %s: %m\n", argv[i]); goto out; }
    struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY, .userns_fd = userns };
    if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr)) {
      fprintf(stderr, "berth-idmap: mount_setattr %s: %m\n", argv[i]);
      goto out;
    }
    if (syscall(SYS_move_mount, tree, "", AT_FDCWD, argv[i + 1], MOVE_MOUNT_F_EMPTY_PATH)) {
      fprintf(stderr, "berth-idmap: move_mount %s: %m\n", argv[i + 1]);
      goto out;
    }
    close(tree);
  }
  rc = 0;
out:
  if (hold >= 0) close(hold);
  if (child > 0) waitpid(child, NULL, 0);
  return rc;
}
