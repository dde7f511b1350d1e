package app

import (
	"errors"
	"fmt"
	"slices"

	"github.com/mitra-care/mitra/internal/flow"
)

// Reload loads the flows and catalog.yaml of MITRA_FLOWS_DIR again, as
// `mitra serve` does on SIGHUP, and has the next messages run on them;
// the messages being processed finish on the old ones. When the new
// ones have problems it logs each (file:line) and the old ones keep
// running. The console's hand-back list, the shop name and the
// broadcasts' languages stay those of the start.
func (a *App) Reload() error {
	set, cat, err := LoadShop(a.cfg.FlowsDir)
	if err == nil && !slices.Contains(set.Languages(), a.cfg.Lang) {
		err = fmt.Errorf("MITRA_LANG=%q: the flows speak %v", a.cfg.Lang, set.Languages())
	}
	if err != nil {
		for _, p := range problems(err) {
			a.log.Error("flows not reloaded, the old ones go on running", "problem", p)
		}
		return fmt.Errorf("flows not reloaded:\n%w", err)
	}
	a.rt.Reload(set, cat)
	items := 0
	if cat != nil {
		items = len(cat.Items())
	}
	a.log.Info("flows reloaded", "flows", len(set.Flows()), "languages", len(set.Languages()), "items", items)
	return nil
}

// problems are the lines of err: one per problem of a *flow.LoadError,
// of each error errors.Join joined.
func problems(err error) []string {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range j.Unwrap() {
			out = append(out, problems(e)...)
		}
		return out
	}
	var le *flow.LoadError
	if errors.As(err, &le) {
		out := make([]string, len(le.Problems))
		for i, p := range le.Problems {
			out[i] = p.String()
		}
		return out
	}
	return []string{err.Error()}
}
