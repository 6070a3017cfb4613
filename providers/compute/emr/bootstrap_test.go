package emr

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// bootstrapNode is a node's file system under a temporary root, with
// stand-ins for the two outside commands the script uses: `aws s3 cp`
// copies from a local "bucket" folder (failing the first failures calls),
// and `sudo` runs its command as the test user.
type bootstrapNode struct {
	root, bin, s3 string
}

func newBootstrapNode(t *testing.T, master bool, failures int) *bootstrapNode {
	t.Helper()
	n := &bootstrapNode{root: t.TempDir(), bin: t.TempDir(), s3: t.TempDir()}
	write := func(path, body string, mode os.FileMode) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
	// The uploaded artifacts: a spotlake stand-in that records how it was
	// started, and a config.
	write(filepath.Join(n.s3, "lake/bin/spotlake"), "#!/bin/sh\necho \"$@\" >> \""+n.root+"/started\"\n", 0o644)
	write(filepath.Join(n.s3, "lake/config/spotlake.yaml"), "apiVersion: spotlake/v1\n", 0o644)
	write(filepath.Join(n.bin, "aws"), `#!/bin/bash
# aws s3 cp --only-show-errors s3://BUCKET/KEY DEST
calls=$(cat "`+n.root+`/aws-calls" 2>/dev/null || echo 0)
echo $((calls + 1)) > "`+n.root+`/aws-calls"
if [ "$calls" -lt `+strconv.Itoa(failures)+` ]; then echo "simulated S3 error" >&2; exit 1; fi
[ "$1 $2" = "s3 cp" ] || { echo "unexpected aws $*" >&2; exit 2; }
src=${4#s3://}
cp "`+n.s3+`/$src" "$5"
`, 0o755)
	write(filepath.Join(n.bin, "sudo"), "#!/bin/sh\nexec \"$@\"\n", 0o755)
	if master {
		write(filepath.Join(n.root, "mnt/var/lib/info/instance.json"), `{"isMaster": true, "isRunningNameNode": true}`, 0o644)
	} else {
		write(filepath.Join(n.root, "mnt/var/lib/info/instance.json"), `{"isMaster": false}`, 0o644)
	}
	return n
}

func (n *bootstrapNode) run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	script := filepath.Join(t.TempDir(), "bootstrap.sh")
	if err := os.WriteFile(script, BootstrapScript, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), "PATH="+n.bin+":"+os.Getenv("PATH"), "SPOTLAKE_ROOT="+n.root, "SPOTLAKE_RETRY_PAUSE=0")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// The embedded bootstrap script, run for real on a stand-in node: it
// installs the binary and config where the steps expect them, retries S3,
// and starts the dashboard on the viz master only.
func TestBootstrapScript(t *testing.T) {
	args := []string{"s3://lake/bin/spotlake", "s3://lake/config/spotlake.yaml"}

	t.Run("core node", func(t *testing.T) {
		n := newBootstrapNode(t, false, 2) // S3 fails twice: retried
		if out, err := n.run(t, append(args, "--serve")...); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		for path, mode := range map[string]os.FileMode{"usr/local/bin/spotlake": 0o755, "etc/spotlake/spotlake.yaml": 0o644} {
			st, err := os.Stat(filepath.Join(n.root, path))
			if err != nil || st.Mode().Perm() != mode {
				t.Errorf("%s: %v, mode %v, want %v", path, err, st, mode)
			}
		}
		for _, dir := range []string{"var/lib/spotlake", "var/log/spotlake"} {
			if st, err := os.Stat(filepath.Join(n.root, dir)); err != nil || !st.IsDir() {
				t.Errorf("%s: %v", dir, err)
			}
		}
		if calls, _ := os.ReadFile(filepath.Join(n.root, "aws-calls")); strings.TrimSpace(string(calls)) != "4" {
			t.Errorf("aws calls %q, want 4 (two failures retried, two copies)", calls)
		}
		time.Sleep(200 * time.Millisecond)
		if _, err := os.Stat(filepath.Join(n.root, "started")); err == nil {
			t.Error("a core node started the dashboard")
		}
	})

	t.Run("viz master", func(t *testing.T) {
		n := newBootstrapNode(t, true, 0)
		if out, err := n.run(t, append(args, "--serve")...); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		want := "--config " + filepath.Join(n.root, "etc/spotlake/spotlake.yaml") + " serve"
		deadline := time.Now().Add(5 * time.Second)
		for {
			b, _ := os.ReadFile(filepath.Join(n.root, "started"))
			if strings.TrimSpace(string(b)) == want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the master did not start `spotlake %s`: %q", want, b)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})

	t.Run("transient master", func(t *testing.T) {
		n := newBootstrapNode(t, true, 0)
		if out, err := n.run(t, args...); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		time.Sleep(200 * time.Millisecond)
		if _, err := os.Stat(filepath.Join(n.root, "started")); err == nil {
			t.Error("an ingest or ml master started the dashboard")
		}
	})

	t.Run("S3 keeps failing", func(t *testing.T) {
		n := newBootstrapNode(t, false, 9)
		out, err := n.run(t, args...)
		if err == nil || !strings.Contains(out, "failed after 5 tries") {
			t.Errorf("want a failure after 5 tries: %v\n%s", err, out)
		}
	})

	t.Run("usage", func(t *testing.T) {
		n := newBootstrapNode(t, false, 0)
		out, err := n.run(t, "s3://lake/bin/spotlake")
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(out, "usage:") {
			t.Errorf("one argument: %v\n%s", err, out)
		}
	})
}
