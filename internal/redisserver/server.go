// Package redisserver runs a real redis-server binary as a child process
// on a free loopback port. Tests use it so they run against Redis itself,
// not an imitation, and `mitra bench` uses it so its figures are Redis's.
//
// The server keeps nothing on disk (no RDB, no AOF) and never listens on
// anything but 127.0.0.1, so it cannot clash with a Redis already running
// on the machine on port 6379.
package redisserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrNotInstalled is returned by Start when redis-server is not on PATH;
// its message tells the user how to install it.
var ErrNotInstalled = errors.New(`redis-server not found on PATH: install it with "apt-get install redis-server" (Debian/Ubuntu) or "brew install redis" (macOS)`)

// readyTimeout bounds how long Start and Restart wait for the server to
// answer PING.
const readyTimeout = 10 * time.Second

// Options configure Start.
type Options struct {
	// Dir is the server's working directory. Empty means a fresh temporary
	// directory, removed by Close; a given Dir is left in place.
	Dir string
	// Args are extra command-line arguments, e.g. {"--maxmemory", "64mb"}.
	Args []string
}

// Server is a running redis-server child process. Its methods are safe
// for concurrent use.
type Server struct {
	bin     string
	dir     string
	tempDir bool
	port    int
	args    []string

	mu     sync.Mutex
	proc   *os.Process
	exited chan struct{} // closed when proc has been waited for
	log    *tail
	closed bool
}

// Start starts redis-server on a free port of 127.0.0.1 and returns once
// it answers PING. Close it when done.
func Start(ctx context.Context, opts Options) (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, ErrNotInstalled
	}
	s := &Server{bin: bin, dir: opts.Dir, args: opts.Args}
	if s.dir == "" {
		if s.dir, err = os.MkdirTemp("", "mitra-redis-*"); err != nil {
			return nil, fmt.Errorf("redis-server: make temp dir: %w", err)
		}
		s.tempDir = true
	}
	// Another process may grab the free port between our probe and the
	// server's bind; a few tries with fresh ports make that harmless.
	for attempt := 1; ; attempt++ {
		if s.port, err = freePort(); err != nil {
			break
		}
		err = s.start(ctx)
		if err == nil || attempt == 3 || !errors.Is(err, errPortTaken) {
			break
		}
	}
	if err != nil {
		s.removeTempDir()
		return nil, err
	}
	return s, nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL is the server's address as a redis:// URL selecting database 0.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Stop kills the server, keeping its port and directory, so a test can
// see what happens while Redis is away. Restart brings it back. All data
// is lost. Stopping a stopped server does nothing.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked()
}

// Restart starts the stopped server again on the same port, empty, and
// returns once it answers PING. Clients connected before reconnect by
// themselves.
func (s *Server) Restart(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("redis-server: restart after Close")
	}
	if s.proc != nil {
		return fmt.Errorf("redis-server on %s: restart while running: call Stop first", s.Addr())
	}
	return s.startLocked(ctx)
}

// Close kills the server and removes its directory if Start created it.
// It is safe to call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return errors.Join(s.stopLocked(), s.removeTempDir())
}

func (s *Server) removeTempDir() error {
	if !s.tempDir {
		return nil
	}
	if err := os.RemoveAll(s.dir); err != nil {
		return fmt.Errorf("redis-server: remove %s: %w", s.dir, err)
	}
	return nil
}

func (s *Server) start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startLocked(ctx)
}

// errPortTaken marks a start that failed because the port was in use.
var errPortTaken = errors.New("port already in use")

func (s *Server) startLocked(ctx context.Context) error {
	args := append([]string{
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", s.dir,
	}, s.args...)
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.dir
	cmd.SysProcAttr = sysProcAttr()
	log := &tail{}
	cmd.Stdout, cmd.Stderr = log, log

	// The process is started and waited for by one goroutine locked to
	// its OS thread: with Pdeathsig the child dies when the thread that
	// started it exits, and a locked thread exits only with its goroutine,
	// which lives as long as the child.
	started := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer close(exited)
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait()
		runtime.UnlockOSThread()
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	s.proc, s.exited, s.log = cmd.Process, exited, log
	if err := s.waitReady(ctx); err != nil {
		_ = s.stopLocked()
		if strings.Contains(log.String(), "Address already in use") {
			err = fmt.Errorf("%w: %w", errPortTaken, err)
		}
		return err
	}
	return nil
}

func (s *Server) stopLocked() error {
	if s.proc == nil {
		return nil
	}
	if err := s.proc.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill redis-server on %s: %w", s.Addr(), err)
	}
	<-s.exited
	s.proc, s.exited = nil, nil
	return nil
}

// waitReady polls PING until the server answers PONG, it exits, ctx ends
// or readyTimeout passes.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if last = ping(ctx, s.Addr()); last == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("redis-server on %s exited at start-up; its log ends:\n%s", s.Addr(), s.log)
		case <-ctx.Done():
			return fmt.Errorf("redis-server on %s did not answer PING within %s (%w, last try: %w); its log ends:\n%s",
				s.Addr(), readyTimeout, ctx.Err(), last, s.log)
		case <-tick.C:
		}
	}
}

// ping sends one PING in the Redis protocol and expects +PONG.
func ping(ctx context.Context, addr string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if line = strings.TrimSpace(line); line != "+PONG" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// freePort asks the kernel for a free port on 127.0.0.1.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// tailSize is how much of the server's log is kept for error messages.
const tailSize = 4096

// tail keeps the last tailSize bytes written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - tailSize; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
