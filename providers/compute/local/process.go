package local

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// procStart is the start time of process pid in clock ticks since boot
// (/proc/PID/stat field 22), with its state letter; ok is false when the
// process does not exist or /proc cannot tell.
func procStat(pid int) (state string, start uint64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 > len(b) {
		return "", 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(b[i+2:]))
	if len(f) < 20 {
		return "", 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	return f[0], start, err
}

func procStartTicks(pid int) uint64 {
	_, start, _ := procStat(pid)
	return start
}

var haveProc = func() bool {
	_, err := os.Stat("/proc/self/stat")
	return err == nil
}()

// alive reports whether pid is a running (not zombie) process and, when
// start is not 0, the same process that was recorded (not a reused pid).
func alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	if haveProc {
		st, s, err := procStat(pid)
		if err != nil {
			return false
		}
		if st == "Z" || st == "X" || st == "x" {
			return false
		}
		return start == 0 || s == start
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// child is a server process started by this supervisor process.
type child struct {
	pid   int
	start uint64
	gen   int
	ctl   string
	log   string
	done  chan struct{} // closed when the process has exited and is reaped
	err   error         // its exit status, after done
}

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// spawn starts the server with the listening socket as fd 3, in its own
// session (it outlives the CLI and its terminal), output appended to its log.
func (s *Supervisor) spawn(listener *os.File, gen int, ctl, logPath string) (*child, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "--- %s %s generation %d: %s\n", time.Now().Format(time.RFC3339), s.name(), gen, strings.Join(s.Command, " "))

	cmd := exec.Command(s.Command[0], s.Command[1:]...)
	cmd.Dir = s.WorkDir
	env := append(os.Environ(), s.Env...)
	cmd.Env = append(env,
		EnvListenFD+"=3",
		EnvControlSocket+"="+ctl,
		EnvGeneration+"="+strconv.Itoa(gen),
		EnvCluster+"="+s.name(),
	)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.ExtraFiles = []*os.File{listener}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", s.Command[0], err)
	}
	c := &child{pid: cmd.Process.Pid, gen: gen, ctl: ctl, log: logPath, done: make(chan struct{})}
	c.start = procStartTicks(c.pid)
	// Reap it when it exits (while this process lives), so that a stopped
	// server does not linger as a zombie; the CLI exits long before.
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	if s.spawned != nil {
		s.spawned(c.pid)
	}
	return c, nil
}

// kill ends a child that failed to become ready: the whole session, at once.
func (c *child) kill() {
	killGroup(c.pid, syscall.SIGKILL)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
	}
}

func killGroup(pid int, sig syscall.Signal) {
	if pg, err := syscall.Getpgid(pid); err == nil && pg == pid {
		syscall.Kill(-pid, sig)
	}
	syscall.Kill(pid, sig)
}

// stopProcess sends SIGTERM, waits up to timeout for the process to exit,
// then SIGKILLs its session. It says how it ended.
func stopProcess(pid int, start uint64, timeout time.Duration) (string, error) {
	if !alive(pid, start) {
		return "was not running", nil
	}
	t0 := time.Now()
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return "", fmt.Errorf("stop pid %d: %w", pid, err)
	}
	if waitGone(pid, start, timeout) {
		return fmt.Sprintf("exited gracefully in %s", time.Since(t0).Round(time.Millisecond)), nil
	}
	killGroup(pid, syscall.SIGKILL)
	if waitGone(pid, start, 10*time.Second) {
		return fmt.Sprintf("killed: still running %s after SIGTERM", timeout), nil
	}
	return "", fmt.Errorf("pid %d survives SIGKILL", pid)
}

func waitGone(pid int, start uint64, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if !alive(pid, start) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// logTail is the end of a log file: at most lines lines of its last 8 KiB.
func logTail(path string, lines int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	const max = 8 << 10
	if fi, err := f.Stat(); err == nil && fi.Size() > max {
		f.Seek(fi.Size()-max, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	ls := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}
