package config

import (
	"fmt"
	"os"
	"strings"
)

// maxSecretFile bounds a *_FILE secret; a secret is a line, not a dump.
const maxSecretFile = 64 << 10

// lookup reads NAME, or the file named by NAME_FILE. Setting both is an
// error, because which one wins would be a guess.
func lookup(name string, getenv func(string) string) (string, error) {
	v, file := getenv(name), getenv(name+"_FILE")
	if file == "" {
		return v, nil
	}
	if v != "" {
		return "", fmt.Errorf("%s and %s_FILE are both set: keep one", name, name)
	}
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", name, err)
	}
	defer f.Close()
	buf := make([]byte, maxSecretFile+1)
	n, _ := f.Read(buf)
	if n > maxSecretFile {
		return "", fmt.Errorf("%s_FILE %s: larger than %d bytes", name, file, maxSecretFile)
	}
	return strings.TrimSpace(string(buf[:n])), nil
}
