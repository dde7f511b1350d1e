package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"mime"
	"net/http"
	"path"
	"time"
)

// The simulator's page, stylesheet and script are embedded, so the binary
// serves them with nothing to install or fetch.
//
//go:embed web/templates/*.html web/static/*.css web/static/*.js
var webFS embed.FS

// staticFile is an embedded file with its ETag.
type staticFile struct {
	body []byte
	etag string
}

// staticFiles are the embedded static files by name.
var staticFiles = func() map[string]staticFile {
	files := map[string]staticFile{}
	entries, err := webFS.ReadDir("web/static")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		body, err := webFS.ReadFile("web/static/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		files[e.Name()] = staticFile{body: body, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return files
}()

// serveStatic is GET /static/{name}. Browsers revalidate every time and
// get 304 while the file is unchanged.
func serveStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	f, ok := staticFiles[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("ETag", f.etag)
	h.Set("Cache-Control", "no-cache")
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		h.Set("Content-Type", ct)
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.body))
}
