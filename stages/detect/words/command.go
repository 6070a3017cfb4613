package words

import "strings"

// Command classes of honeypot shell input, from the least to the most
// telling: a line with several commands takes the highest class among them.
const (
	cmdNone = iota
	cmdShell
	cmdOther
	cmdRecon
	cmdCleanup
	cmdExec
	cmdPersist
	cmdDownload
)

var cmdClassNames = [...]string{
	cmdNone:     "-",
	cmdShell:    "shell",
	cmdOther:    "other",
	cmdRecon:    "recon",
	cmdCleanup:  "cleanup",
	cmdExec:     "exec",
	cmdPersist:  "persist",
	cmdDownload: "download",
}

// programClass maps a program name (lower case, no directory) to its class.
var programClass = map[string]int{}

func init() {
	for class, names := range map[int]string{
		cmdShell: "cd exit logout echo printf export clear true false enable system shell linuxshell",
		cmdRecon: "uname whoami id w who last lastlog ls ll dir ps pstree free df du top htop lscpu nproc " +
			"hostname ifconfig ip netstat ss route arp uptime cat head tail more less grep egrep wc awk " +
			"sed which type whereis find locate lspci lsusb lsblk dmesg env printenv pwd mount getconf " +
			"locale date stat file groups users finger nvidia-smi",
		cmdCleanup: "rm rmdir shred unlink history unset kill pkill killall iptables ufw setenforce " +
			"truncate",
		cmdExec: "sh bash ash dash zsh ksh csh tcsh busybox python python2 python3 perl php ruby node " +
			"lua chmod chown nohup screen tmux setsid exec source . eval xargs base64 gcc cc make " +
			"tar unzip gunzip bunzip2 unxz 7z",
		cmdPersist: "crontab useradd adduser usermod userdel passwd chpasswd chattr systemctl service " +
			"update-rc.d insmod modprobe ssh-keygen visudo",
		cmdDownload: "wget curl tftp ftp ftpget sftp scp rsync fetch lwp-download nc ncat netcat socat " +
			"git",
	} {
		for _, n := range strings.Fields(names) {
			programClass[n] = class
		}
	}
}

// commandClass classifies a shell input line (what an intruder typed): the
// line is split into commands at ; & | newlines and backquotes, and the
// class of the line is the highest class of its commands' programs; a
// program run by path from a writable place (./x, /tmp/x, /dev/shm/x …) is
// exec, a line that touches authorized_keys is persist. Empty input is "-".
func commandClass(line string) string {
	best := cmdNone
	for line != "" {
		end := strings.IndexAny(line, ";&|\n`")
		cmd := line
		if end >= 0 {
			cmd, line = line[:end], line[end+1:]
		} else {
			line = ""
		}
		if c := oneCommand(cmd); c > best {
			best = c
		}
	}
	return cmdClassNames[best]
}

// oneCommand classifies one command of a line.
func oneCommand(cmd string) int {
	cmd = strings.TrimSpace(cmd)
	cmd = strings.TrimLeft(cmd, "($({ ")
	if cmd == "" {
		return cmdNone
	}
	class := cmdNone
	if strings.Contains(cmd, "authorized_keys") {
		class = cmdPersist
	}
	// The program, skipping wrappers whose argument is the real command.
	prog, rest := nextWord(cmd)
	for {
		base := prog[strings.LastIndexByte(prog, '/')+1:]
		switch strings.ToLower(base) {
		case "sudo", "nohup", "env", "busybox", "timeout", "nice", "command", "exec", "time":
			if next, r := nextWord(rest); next != "" && !strings.HasPrefix(next, "-") {
				prog, rest = next, r
				continue
			}
		}
		break
	}
	c := cmdOther
	base := prog[strings.LastIndexByte(prog, '/')+1:]
	if pc, ok := programClass[base]; ok {
		c = pc
	} else if pc, ok := programClass[strings.ToLower(base)]; ok {
		c = pc
	} else if strings.HasPrefix(prog, "./") || strings.HasPrefix(prog, "/tmp/") ||
		strings.HasPrefix(prog, "/var/tmp/") || strings.HasPrefix(prog, "/dev/shm/") ||
		strings.HasPrefix(prog, "../") {
		c = cmdExec
	}
	return max(class, c)
}

// nextWord splits s at its first run of white space.
func nextWord(s string) (word, rest string) {
	s = strings.TrimLeft(s, " \t")
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i+1:]
}
