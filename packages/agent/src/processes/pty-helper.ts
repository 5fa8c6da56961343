/**
 * A PTY without native modules. The agent runs on Debian's node in images it
 * does not build its own node for, so it cannot load a module that calls
 * openpty(3), and Node alone cannot unlock or size a pseudo-terminal (both
 * are ioctls). Python's standard library can: os.forkpty and
 * fcntl.ioctl(TIOCSWINSZ). python3 is in the agent image and in the host's
 * /usr that the sandbox's default image uses; util-linux `script` is too, but
 * it takes the terminal's size from its own stdin, which is a pipe here, so it
 * cannot be sized or resized from outside without guessing the pty's path.
 *
 * The helper, `python3 -c HELPER cols rows argv...`:
 *   - forks the program on a new pty (its own session, the pty as its
 *     controlling terminal) at the given size;
 *   - copies the keeper's input (fd 0) to the pty and the pty's output to
 *     fd 1; end of input becomes Ctrl-D, which a shell reads as EOF;
 *   - takes `resize <cols> <rows>` lines on fd 3 (a socket to the keeper),
 *     and first writes `pid <pid>` there: the program's process group;
 *   - exits as the program did: the same code, or killed by the same signal.
 */
export const PTY_HELPER_SOURCE = String.raw`
import fcntl, os, select, signal, struct, sys, termios
cols, rows, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
def size(fd, c, r):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", r, c, 0, 0))
pid, master = os.forkpty()
if pid == 0:
    for s in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT):
        signal.signal(s, signal.SIG_DFL)
    size(0, cols, rows)
    try:
        os.execvp(argv[0], argv)
    except OSError as e:
        os.write(2, ("%s: %s\r\n" % (argv[0], e.strerror)).encode())
    os._exit(127)
signal.signal(signal.SIGINT, signal.SIG_IGN)
os.write(3, b"pid %d\n" % pid)
os.set_blocking(master, False)
pending, control, stdin_open, control_open, status = b"", b"", True, True, None
def out(data):
    while data:
        data = data[os.write(1, data):]
while True:
    readers = [master] + ([0] if stdin_open and len(pending) < 1 << 20 else []) + ([3] if control_open else [])
    try:
        r, w, _ = select.select(readers, [master] if pending else [], [], 0.1 if status is None else 0)
    except InterruptedError:
        continue
    if master in r:
        try:
            data = os.read(master, 65536)
        except BlockingIOError:
            data = None
        except OSError:
            data = b""
        if data == b"":
            break
        if data:
            out(data)
    if 0 in r:
        data = os.read(0, 65536)
        if data:
            pending += data
        else:
            stdin_open, pending = False, pending + b"\x04"
    if w:
        try:
            pending = pending[os.write(master, pending):]
        except BlockingIOError:
            pass
    if 3 in r:
        data = os.read(3, 4096)
        control_open = bool(data)
        control += data
        while b"\n" in control:
            line, control = control.split(b"\n", 1)
            words = line.split()
            if len(words) == 3 and words[0] == b"resize":
                size(master, int(words[1]), int(words[2]))
    if status is None:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
    elif not r:
        break
if status is None:
    status = os.waitpid(pid, 0)[1]
if os.WIFSIGNALED(status):
    try:
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
    except (OSError, ValueError):
        pass
    os.kill(os.getpid(), os.WTERMSIG(status))
os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)
`;
