// Package spark runs stage tasks on Apache Spark (engine spark): Spark
// schedules them over its executors and retries a lost one; the spotlake
// binary on the executor does the work. A small PySpark driver, embedded
// here, is started with spark-submit in client mode (so its output is this
// process's, and on EMR the step's log) and takes requests over a Unix
// socket.
package spark

import (
	"bufio"
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

//go:embed driver.py
var driverPy []byte

// Options start a driver.
type Options struct {
	// Submit is the spark-submit command (a name on PATH or a path).
	Submit string
	// Master is Spark's master URL: local[N], yarn, spark://…
	Master string
	// Conf are extra Spark settings (--conf key=value).
	Conf map[string]string
	// Parallel is how many tasks the driver runs at once (0: as many as
	// it is sent; the sender then bounds them, e.g. by Parallelism).
	Parallel int
	// Command is what an executor runs for a task: the input on its
	// stdin, the output on its stdout, exit status 0 for success.
	Command []string
	// Log receives the driver's own output (Spark's log); nil discards it.
	Log io.Writer
	// StartTimeout bounds the wait for the driver to be ready.
	StartTimeout time.Duration
}

// Driver is a running Spark driver taking task requests.
type Driver struct {
	cmd  *exec.Cmd
	dir  string
	ln   net.Listener
	conn net.Conn
	w    *bufio.Writer
	tail *tail

	mu      sync.Mutex
	next    int64
	waiting map[int64]chan reply
	err     error         // why the driver is gone
	gone    chan struct{} // closed when it is
	exited  chan struct{} // closed when the process has been waited for
	App     string        // Spark's application id
	// Parallelism is Spark's default parallelism when the driver started:
	// the executors' cores (local[N]: N).
	Parallelism int
}

type reply struct {
	ID     int64  `json:"id"`
	Output string `json:"output"`
	Error  string `json:"error"`
	// The first line only.
	Ready       bool   `json:"ready"`
	App         string `json:"app_id"`
	Parallelism int    `json:"parallelism"`
}

// ErrGone is the error of a request whose driver stopped.
var ErrGone = errors.New("the spark driver is gone")

// Start runs spark-submit with the embedded driver and waits until it is
// ready to take tasks.
func Start(ctx context.Context, o Options) (*Driver, error) {
	submit, err := exec.LookPath(o.Submit)
	if err != nil {
		return nil, fmt.Errorf("spark-submit %q not found: install Spark (`pip install pyspark` brings one) or set spark.submit to its path", o.Submit)
	}
	if len(o.Command) == 0 {
		return nil, errors.New("spark: no task command")
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 3 * time.Minute
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	dir, err := os.MkdirTemp("", "spotlake-spark-")
	if err != nil {
		return nil, err
	}
	d := &Driver{dir: dir, tail: &tail{max: 16 << 10}, waiting: map[int64]chan reply{}, gone: make(chan struct{}), exited: make(chan struct{})}
	fail := func(err error) (*Driver, error) {
		d.kill()
		os.RemoveAll(dir)
		return nil, err
	}
	script := filepath.Join(dir, "driver.py")
	if err := os.WriteFile(script, driverPy, 0o644); err != nil {
		return fail(err)
	}
	sock := filepath.Join(dir, "driver.sock")
	d.ln, err = net.Listen("unix", sock)
	if err != nil {
		return fail(fmt.Errorf("spark: listen for the driver: %w", err))
	}
	command, _ := json.Marshal(o.Command)
	args := []string{"--master", o.Master, "--deploy-mode", "client", "--name", "spotlake"}
	keys := make([]string, 0, len(o.Conf))
	for k := range o.Conf {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "--conf", k+"="+o.Conf[k])
	}
	args = append(args, script, "--socket", sock, "--parallel", strconv.Itoa(cmp.Or(o.Parallel, 256)), "--command", string(command))
	d.cmd = exec.Command(submit, args...)
	d.cmd.Env = driverEnv(submit, o.Master)
	// Its own process group: spark-submit's JVM starts the Python driver
	// as a child, and killing the driver must kill both.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := io.MultiWriter(o.Log, d.tail)
	d.cmd.Stdout, d.cmd.Stderr = out, out
	if err := d.cmd.Start(); err != nil {
		return fail(fmt.Errorf("spark: start %s: %w", submit, err))
	}
	go func() {
		err := d.cmd.Wait()
		d.stop(fmt.Errorf("%w: spark-submit exited (%v); its last output:\n%s", ErrGone, err, d.tail.String()))
		close(d.exited)
	}()

	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := d.ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	timer := time.NewTimer(o.StartTimeout)
	defer timer.Stop()
	select {
	case d.conn = <-accepted:
	case <-d.gone:
		return fail(fmt.Errorf("spark driver did not start: %w", d.err))
	case <-timer.C:
		return fail(fmt.Errorf("spark driver not ready after %s (spark.start_timeout); its last output:\n%s", o.StartTimeout, d.tail.String()))
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	d.w = bufio.NewWriter(d.conn)
	r := bufio.NewReaderSize(d.conn, 1<<20)
	first, err := r.ReadBytes('\n')
	var hello reply
	if err != nil || json.Unmarshal(first, &hello) != nil || !hello.Ready {
		select { // its output, up to its exit, says why
		case <-d.exited:
		case <-time.After(10 * time.Second):
		}
		return fail(fmt.Errorf("spark driver did not start: %v; its last output:\n%s", err, d.tail.String()))
	}
	d.App, d.Parallelism = hello.App, hello.Parallelism
	go d.read(r)
	return d, nil
}

// driverEnv points Spark at the Python beside spark-submit when there is one
// (a virtual environment's pyspark: the system python3 may lack pyspark),
// and a local master at the loopback address.
func driverEnv(submit, master string) []string {
	env := os.Environ()
	if os.Getenv("PYSPARK_PYTHON") == "" {
		if py := filepath.Join(filepath.Dir(submit), "python"); isFile(py) {
			env = append(env, "PYSPARK_PYTHON="+py, "PYSPARK_DRIVER_PYTHON="+py)
		}
	}
	if strings.HasPrefix(master, "local") && os.Getenv("SPARK_LOCAL_IP") == "" {
		env = append(env, "SPARK_LOCAL_IP=127.0.0.1")
	}
	return env
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func (d *Driver) read(r *bufio.Reader) {
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			// The process's exit says why; give it a moment to be reaped.
			select {
			case <-d.exited:
			case <-time.After(5 * time.Second):
				d.stop(fmt.Errorf("%w: the connection closed (%v); its last output:\n%s", ErrGone, err, d.tail.String()))
			}
			return
		}
		var rep reply
		if err := json.Unmarshal(line, &rep); err != nil {
			continue
		}
		d.mu.Lock()
		ch := d.waiting[rep.ID]
		delete(d.waiting, rep.ID)
		d.mu.Unlock()
		if ch != nil {
			ch <- rep
		}
	}
}

// stop records why the driver is gone and fails every waiting request.
func (d *Driver) stop(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return
	}
	d.err = err
	close(d.gone)
}

func (d *Driver) send(v any) error {
	b, _ := json.Marshal(v)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return d.err
	}
	d.w.Write(append(b, '\n'))
	return d.w.Flush()
}

// Run runs one task on an executor and returns its output. An error is
// either the task's (its command failed; the message has its stderr's end)
// or the driver's (ErrGone).
func (d *Driver) Run(ctx context.Context, input []byte) ([]byte, error) {
	ch := make(chan reply, 1)
	d.mu.Lock()
	d.next++
	id := d.next
	d.waiting[id] = ch
	d.mu.Unlock()
	drop := func() {
		d.mu.Lock()
		delete(d.waiting, id)
		d.mu.Unlock()
	}
	if err := d.send(map[string]any{"id": id, "input": string(input)}); err != nil {
		drop()
		return nil, err
	}
	select {
	case rep := <-ch:
		if rep.Error != "" {
			return nil, errors.New(rep.Error)
		}
		return []byte(rep.Output), nil
	case <-d.gone:
		drop()
		return nil, d.err
	case <-ctx.Done():
		drop()
		d.send(map[string]any{"cancel": id})
		return nil, ctx.Err()
	}
}

// Close lets the driver finish and stop (it stops once its requests are
// answered), killing it if it has not within a minute.
func (d *Driver) Close() error {
	defer os.RemoveAll(d.dir)
	defer d.ln.Close()
	if c, ok := d.conn.(*net.UnixConn); ok {
		c.CloseWrite()
	}
	select {
	case <-d.exited:
	case <-time.After(time.Minute):
		d.kill()
		<-d.exited
	}
	if st := d.cmd.ProcessState; st != nil && !st.Success() {
		return fmt.Errorf("spark driver: %s; its last output:\n%s", st, d.tail.String())
	}
	return nil
}

// Kill stops the driver, its Python and its local executors at once (an
// interrupted run): tasks in flight are abandoned, their files left for
// the orphan cleanup.
func (d *Driver) Kill() {
	d.kill()
	<-d.exited
	os.RemoveAll(d.dir)
}

func (d *Driver) kill() {
	if d.cmd != nil && d.cmd.Process != nil {
		syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
	}
	if d.ln != nil {
		d.ln.Close()
	}
}

// tail keeps the end of the driver's output for error messages.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}
