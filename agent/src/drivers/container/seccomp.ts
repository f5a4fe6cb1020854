// The seccomp allowlist: everything not named here fails with EPERM. Modelled on Docker's default
// profile, without what lets a workload reach the kernel's attack surface or leave its namespaces:
// mount, unshare, setns, keyctl, ptrace, bpf, module loading, kexec, reboot, swap, perf, userfaultfd,
// open_by_handle_at (the "shocker" escape), and clone with namespace flags.
import type { LinuxSeccomp } from "./oci";

const words = (text: string) => text.trim().split(/\s+/);

/** Syscalls an ordinary workload (shells, servers, language runtimes) needs. */
export const allowedSyscalls: readonly string[] = words(`
  accept accept4 access alarm arch_prctl bind brk capget capset chdir chmod chown chown32
  clock_adjtime clock_getres clock_gettime clock_nanosleep close close_range connect
  copy_file_range creat dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_pwait
  epoll_pwait2 epoll_wait eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2
  fadvise64 fallocate fanotify_mark fchdir fchmod fchmodat fchmodat2 fchown fchownat fcntl
  fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstatfs fsync ftruncate
  futex futex_waitv futimesat get_robust_list get_thread_area getcpu getcwd getdents getdents64
  getegid geteuid getgid getgroups getitimer getpeername getpgid getpgrp getpid getppid
  getpriority getrandom getresgid getresuid getrlimit getrusage getsid getsockname getsockopt
  gettid gettimeofday getuid getxattr inotify_add_watch inotify_init inotify_init1
  inotify_rm_watch io_cancel io_destroy io_getevents io_pgetevents io_setup io_submit ioctl
  ioprio_get ioprio_set kill lchown lgetxattr link linkat listen listxattr llistxattr lremovexattr
  lseek lsetxattr lstat madvise membarrier memfd_create mincore mkdir mkdirat mknod mknodat mlock
  mlock2 mlockall mmap mprotect mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedsend
  mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock munlockall munmap nanosleep
  newfstatat open openat openat2 pause pidfd_getfd pidfd_open pidfd_send_signal pipe pipe2 poll
  ppoll prctl pread64 preadv preadv2 prlimit64 pselect6 pwrite64 pwritev pwritev2 read readahead
  readlink readlinkat readv recvfrom recvmmsg recvmsg remap_file_pages removexattr rename renameat
  renameat2 restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo
  rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_tgsigqueueinfo sched_get_priority_max
  sched_get_priority_min sched_getaffinity sched_getattr sched_getparam sched_getscheduler
  sched_rr_get_interval sched_setaffinity sched_setattr sched_setparam sched_setscheduler
  sched_yield seccomp select semctl semget semop semtimedop sendfile sendmmsg sendmsg sendto
  set_robust_list set_thread_area set_tid_address setfsgid setfsuid setgid setgroups setitimer
  setpgid setpriority setregid setresgid setresuid setreuid setrlimit setsid setsockopt setuid
  setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 socket socketpair
  splice stat statfs statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time
  timer_create timer_delete timer_getoverrun timer_gettime timer_settime timerfd_create
  timerfd_gettime timerfd_settime times tkill truncate umask uname unlink unlinkat utime utimensat
  utimes vfork vmsplice wait4 waitid write writev
  get_mempolicy set_mempolicy mbind pkey_alloc pkey_free pkey_mprotect landlock_create_ruleset
  landlock_add_rule landlock_restrict_self futex_wake futex_wait futex_requeue map_shadow_stack
  cachestat mseal
`);

/** Denied outright, whatever a later change to the allowlist says: the tests check these. */
export const deniedSyscalls: readonly string[] = words(`
  mount umount2 unshare setns pivot_root chroot keyctl add_key request_key ptrace process_vm_readv
  process_vm_writev bpf init_module finit_module delete_module kexec_load kexec_file_load reboot
  swapon swapoff perf_event_open userfaultfd open_by_handle_at name_to_handle_at acct quotactl
  settimeofday clock_settime adjtimex sethostname setdomainname iopl ioperm fsopen fsmount
  fsconfig move_mount open_tree mount_setattr lookup_dcookie syslog vhangup personality clone3
`);

// CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWTIME (0x80): creating namespaces.
// The flags are clone's first argument on x86_64 and arm64 alike.
const cloneNamespaceFlags = 0x7e020080;
const EPERM = 1;
const ENOSYS = 38;

export function buildSeccomp(): LinuxSeccomp {
  const denied = new Set(deniedSyscalls);
  const allowed = allowedSyscalls.filter((s) => !denied.has(s));
  return {
    defaultAction: "SCMP_ACT_ERRNO",
    defaultErrnoRet: EPERM,
    // Only the host's native ABI: 32-bit and x32 syscalls take the default action (EPERM), so a
    // 32-bit binary cannot use syscall numbers this list was not written for.
    architectures: [process.arch === "arm64" ? "SCMP_ARCH_AARCH64" : "SCMP_ARCH_X86_64"],
    syscalls: [
      { names: allowed, action: "SCMP_ACT_ALLOW" },
      // clone is allowed only without namespace flags (its flags are the first argument on x86).
      {
        names: ["clone"],
        action: "SCMP_ACT_ALLOW",
        args: [{ index: 0, value: cloneNamespaceFlags, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }],
      },
      // personality only to query it or to ask for what Docker allows (PER_LINUX, UNAME26, ...),
      // never READ_IMPLIES_EXEC or ADDR_NO_RANDOMIZE.
      ...[0x0, 0x8, 0x20000, 0x20008, 0xffffffff].map((value) => ({
        names: ["personality"],
        action: "SCMP_ACT_ALLOW",
        args: [{ index: 0, value, op: "SCMP_CMP_EQ" as const }],
      })),
      // clone3 passes its flags in memory seccomp cannot read: ENOSYS makes libc fall back to clone.
      { names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: ENOSYS },
    ],
  };
}
