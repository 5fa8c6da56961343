/**
 * The seccomp filter every sandbox process runs under (bwrap --seccomp).
 * bwrap already drops every capability; this filter refuses nested user
 * namespaces (in one a process holds every capability again: network admin
 * over a namespace of its own, mounts) and closes kernel interfaces a bot has
 * no business with and that carry most of the kernel's recent privilege
 * escalations: io_uring, the key rings, eBPF, perf events, userfaultfd,
 * module and kexec loading, the mount API, handle-based opens, and the
 * clock, swap, reboot and accounting calls. They fail with EPERM, as under
 * Docker's default profile, so programs see an ordinary refusal.
 *
 * A deny-list, not Docker's allow-list of ~350 calls: new system calls a
 * future toolchain needs keep working, and the list stays readable. x86_64
 * only (the numbers are per architecture); other ABIs on x86_64 (i386 via
 * int 0x80, x32) are refused whole, since their numbers would slip past the
 * list. Elsewhere no filter is applied and `botbox doctor` says so.
 */

/** x86_64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
export const DENIED_SYSCALLS_X86_64: Readonly<Record<string, number>> = {
  adjtimex: 159,
  settimeofday: 164,
  mount: 165,
  umount2: 166,
  swapon: 167,
  swapoff: 168,
  reboot: 169,
  acct: 163,
  pivot_root: 155,
  init_module: 175,
  delete_module: 176,
  quotactl: 179,
  lookup_dcookie: 212,
  clock_settime: 227,
  kexec_load: 246,
  add_key: 248,
  request_key: 249,
  keyctl: 250,
  perf_event_open: 298,
  name_to_handle_at: 303,
  open_by_handle_at: 304,
  clock_adjtime: 305,
  finit_module: 313,
  kexec_file_load: 320,
  bpf: 321,
  userfaultfd: 323,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  mount_setattr: 442,
};

const AUDIT_ARCH_X86_64 = 0xc000003e;
const X32_SYSCALL_BIT = 0x40000000;
const CLONE_NEWUSER = 0x10000000;
const NR_CLONE = 56;
const NR_UNSHARE = 272;
const NR_CLONE3 = 435;
const EPERM = 1;
const ENOSYS = 38;

// Classic BPF as seccomp takes it (linux/filter.h, linux/seccomp.h).
const BPF_LD_W_ABS = 0x20;
const BPF_JEQ_K = 0x15;
const BPF_JGE_K = 0x35;
const BPF_JSET_K = 0x45;
const BPF_RET_K = 0x06;
const SECCOMP_RET_ALLOW = 0x7fff0000;
const SECCOMP_RET_ERRNO = 0x00050000;
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
/** The low 32 bits of the first argument (little-endian). */
const OFFSET_ARG0 = 16;

/** Whether this machine gets the filter. */
export function seccompSupported(): boolean {
  return process.arch === "x64";
}

type Label = "native" | "refuse" | "enosys" | "flags";
type Instruction = { code: number; k: number } | { code: number; k: number; jumpIfTrue: Label } | { label: Label };

/**
 * The compiled filter, as bwrap reads it from its `--seccomp` fd; undefined
 * where unsupported. Besides the list: a new user namespace through
 * unshare(2) or clone(2) is refused by its flag (bwrap's own
 * `--disable-userns` cannot be combined with the `--userns-block-fd` the
 * launcher needs), and clone3, whose flags sit behind a pointer seccomp
 * cannot read, answers ENOSYS so the C library falls back to clone, as under
 * Docker's profile.
 */
export function seccompProgram(): Buffer | undefined {
  if (!seccompSupported()) return undefined;
  const denied = [...new Set(Object.values(DENIED_SYSCALLS_X86_64))];
  const refuse = SECCOMP_RET_ERRNO | EPERM;
  return assemble([
    { code: BPF_LD_W_ABS, k: OFFSET_ARCH },
    { code: BPF_JEQ_K, k: AUDIT_ARCH_X86_64, jumpIfTrue: "native" },
    { code: BPF_RET_K, k: refuse },
    { label: "native" },
    { code: BPF_LD_W_ABS, k: OFFSET_NR },
    { code: BPF_JGE_K, k: X32_SYSCALL_BIT, jumpIfTrue: "refuse" },
    ...denied.map((nr) => ({ code: BPF_JEQ_K, k: nr, jumpIfTrue: "refuse" as const })),
    { code: BPF_JEQ_K, k: NR_CLONE3, jumpIfTrue: "enosys" },
    { code: BPF_JEQ_K, k: NR_UNSHARE, jumpIfTrue: "flags" },
    { code: BPF_JEQ_K, k: NR_CLONE, jumpIfTrue: "flags" },
    { code: BPF_RET_K, k: SECCOMP_RET_ALLOW },
    { label: "flags" },
    { code: BPF_LD_W_ABS, k: OFFSET_ARG0 },
    { code: BPF_JSET_K, k: CLONE_NEWUSER, jumpIfTrue: "refuse" },
    { code: BPF_RET_K, k: SECCOMP_RET_ALLOW },
    { label: "enosys" },
    { code: BPF_RET_K, k: SECCOMP_RET_ERRNO | ENOSYS },
    { label: "refuse" },
    { code: BPF_RET_K, k: refuse },
  ]);
}

/**
 * Lays the instructions out and resolves forward jumps to labels (the next
 * label of that name after the jump). A jump's false branch falls through.
 */
function assemble(instructions: Instruction[]): Buffer {
  const code = instructions.filter((instruction) => !("label" in instruction)) as Exclude<
    Instruction,
    { label: Label }
  >[];
  const positions: { label: Label; at: number }[] = [];
  let at = 0;
  for (const instruction of instructions)
    if ("label" in instruction) positions.push({ label: instruction.label, at });
    else at++;
  const buffer = Buffer.alloc(code.length * 8);
  code.forEach((instruction, index) => {
    let jumpTrue = 0;
    if ("jumpIfTrue" in instruction) {
      const target = positions.find((position) => position.label === instruction.jumpIfTrue && position.at > index);
      if (!target) throw new Error(`seccomp: no label ${instruction.jumpIfTrue} after instruction ${index}`);
      jumpTrue = target.at - index - 1;
      if (jumpTrue > 255) throw new Error("seccomp: jump too far");
    }
    buffer.writeUInt16LE(instruction.code, index * 8);
    buffer.writeUInt8(jumpTrue, index * 8 + 2);
    buffer.writeUInt8(0, index * 8 + 3);
    buffer.writeUInt32LE(instruction.k >>> 0, index * 8 + 4);
  });
  return buffer;
}
