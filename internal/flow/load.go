package flow

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong in the flow files, located so that the shop
// owner can open the file at the line and fix it.
type Problem struct {
	// File is relative to the flows directory; "" for a problem of the
	// set as a whole (a required flow is missing).
	File string
	// Line counts from 1; 0 when the problem has no line (a missing
	// file).
	Line    int
	Message string
}

// String renders the problem as "file:line: message", the form editors
// and CI logs link to.
func (p Problem) String() string {
	switch {
	case p.File == "":
		return p.Message
	case p.Line == 0:
		return p.File + ": " + p.Message
	}
	return p.File + ":" + strconv.Itoa(p.Line) + ": " + p.Message
}

// LoadError lists every problem found in a set of flows, sorted by file
// then line, so that one run shows everything to fix.
type LoadError struct {
	Problems []Problem
}

// Error prints one problem per line.
func (e *LoadError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Options configures Load.
type Options struct {
	// Actions are the names of the actions Go code implements; a flow
	// that names another ("do: x") fails to load rather than doing
	// nothing at run time.
	Actions []string
	// CheckArgs, when set, checks the arguments of a do step at load:
	// args holds those whose value is plain text (templates are known
	// only at run time). Its error is reported at the step.
	CheckArgs func(action string, args map[string]string) error
	// Calls are the Go code flows run inside a step (do: name), and
	// as a flow's catch; see Call.
	Calls map[string]Call
}

// shopYAML is the file that lists the languages, shop values and system
// texts; catalogYAML is the shop's products, read by package catalog;
// every other *.yaml at the root of the flows directory is a flow.
const (
	shopYAML    = "shop.yaml"
	catalogYAML = "catalog.yaml"
)

// Load reads and checks every *.yaml at the root of fsys: shop.yaml and
// one flow per other file but catalog.yaml (tests/ holds conversation
// tests, see RunTests). Problems in the files are reported together as a
// *LoadError; other errors (an unreadable directory) are wrapped.
func Load(fsys fs.FS, opts Options) (*Set, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read flows directory: %w", err)
	}
	l := &loader{opts: opts, set: &Set{
		shop:     map[string][]string{},
		texts:    map[string]text{},
		flows:    map[string]*flowDef{},
		keywords: map[string]*flowDef{},
		calls:    opts.Calls,
	}}
	var flowFiles []string
	shop := false
	for _, e := range entries {
		switch name := e.Name(); {
		case !e.IsDir() && path.Ext(name) == ".yml":
			l.add(name, 0, "flow files end in .yaml: rename it %s.yaml", strings.TrimSuffix(name, ".yml"))
		case e.IsDir() || path.Ext(name) != ".yaml" || name == catalogYAML:
		case name == shopYAML:
			shop = true
		default:
			flowFiles = append(flowFiles, name)
		}
	}
	if shop {
		data, err := fs.ReadFile(fsys, shopYAML)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", shopYAML, err)
		}
		l.shopFile(data)
	} else {
		l.add(shopYAML, 0, "missing: it lists the languages, the shop values and the system texts")
	}
	for _, name := range flowFiles {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		l.flowFile(name, data)
	}
	l.link()
	if len(l.problems) > 0 {
		return nil, l.err()
	}
	return l.set, nil
}

// loader accumulates a Set and the problems found on the way.
type loader struct {
	opts     Options
	set      *Set
	order    []*flowDef // flows in file order, for deterministic checks
	shopRead bool       // shop values are known, so {{shop.x}} can be checked
	// broken is set when a flow file could not be read at all: the flow
	// it defines is unknown, so missing flows are not reported.
	broken   bool
	problems []Problem
}

func (l *loader) add(file string, line int, format string, args ...any) {
	l.problems = append(l.problems, Problem{File: file, Line: line, Message: fmt.Sprintf(format, args...)})
}

// err returns the problems as a sorted *LoadError.
func (l *loader) err() *LoadError {
	slices.SortStableFunc(l.problems, func(a, b Problem) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	return &LoadError{Problems: l.problems}
}

// parse reads a YAML document into nodes, which keep line numbers.
func parse(data []byte) (*yaml.Node, int, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 0
		if rest, ok := strings.CutPrefix(msg, "line "); ok {
			if n, after, ok := strings.Cut(rest, ": "); ok {
				if v, err := strconv.Atoi(n); err == nil {
					line, msg = v, after
					// yaml.v3 counts lines from 0 in parser errors, which
					// all read "did not find expected ...", and from 1
					// in scanner errors.
					if strings.HasPrefix(after, "did not find expected") {
						line++
					}
				}
			}
		}
		return nil, line, fmt.Errorf("YAML syntax: %s", msg)
	}
	if len(doc.Content) == 0 {
		return nil, 0, fmt.Errorf("the file is empty")
	}
	return doc.Content[0], 0, nil
}

// file reads the nodes of one file, reporting problems against it.
type file struct {
	l    *loader
	name string
}

func (f file) errf(line int, format string, args ...any) {
	f.l.add(f.name, line, format, args...)
}

// root parses the file, reporting a syntax error.
func (f file) root(data []byte) *yaml.Node {
	n, line, err := parse(data)
	if err != nil {
		f.errf(line, "%v", err)
	}
	return n
}

// deref follows a YAML alias (*name) to its anchor.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// pair is one key and value of a mapping.
type pair struct {
	key   *yaml.Node
	value *yaml.Node
}

// pairs returns the entries of a mapping in file order; nil with a
// problem when n is not a mapping.
func (f file) pairs(n *yaml.Node, what string) []pair {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		f.errf(n.Line, "%s must be a mapping (key: value)", what)
		return nil
	}
	out := make([]pair, 0, len(n.Content)/2)
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		if line, dup := seen[k.Value]; dup {
			f.errf(k.Line, "key %q appears twice in %s (first at line %d)", k.Value, what, line)
			continue
		}
		seen[k.Value] = k.Line
		out = append(out, pair{key: k, value: v})
	}
	return out
}

// fields returns the values of a mapping by key, reporting keys not in
// allowed (typos such as "nxt"); nil when n is not a mapping.
func (f file) fields(n *yaml.Node, what string, allowed []string) map[string]*yaml.Node {
	ps := f.pairs(n, what)
	if ps == nil && deref(n).Kind != yaml.MappingNode {
		return nil
	}
	m := make(map[string]*yaml.Node, len(ps))
	for _, p := range ps {
		if !slices.Contains(allowed, p.key.Value) {
			f.errf(p.key.Line, "unknown key %q in %s%s", p.key.Value, what, SuggestKey(p.key.Value, allowed))
			continue
		}
		m[p.key.Value] = p.value
	}
	return m
}

// SuggestKey names the allowed key closest to a misspelt one ("did you
// mean"), or lists them all, for problems about unknown keys in any of
// the flows directory's files.
func SuggestKey(key string, allowed []string) string {
	best, dist := "", 3
	for _, a := range allowed {
		if d := Distance(key, a); d < dist {
			best, dist = a, d
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return " (known keys: " + strings.Join(allowed, ", ") + ")"
}

// Distance is the Levenshtein distance between a and b, counted in
// bytes: keys and ids are ASCII, and a misspelt one is told apart from
// its neighbours by how few letters differ. Other packages use it to
// suggest the name that was meant.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// str reads a non-empty single value.
func (f file) str(n *yaml.Node, what string) (string, bool) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode {
		f.errf(n.Line, "%s must be a single value", what)
		return "", false
	}
	if n.Tag == "!!null" || strings.TrimSpace(n.Value) == "" {
		f.errf(n.Line, "%s is empty", what)
		return "", false
	}
	return n.Value, true
}

// strs reads a list of single values.
func (f file) strs(n *yaml.Node, what string) []string {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		f.errf(n.Line, "%s must be a list: [a, b]", what)
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		if s, ok := f.str(c, what); ok {
			out = append(out, s)
		}
	}
	return out
}

// id reads an id of a flow, step or choice: it appears in sessions
// ("flow/step") and button ids, so it is kept to a safe alphabet.
func (f file) id(n *yaml.Node, what string) (string, bool) {
	s, ok := f.str(n, what)
	if !ok {
		return "", false
	}
	if len(s) > 64 || strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}) >= 0 {
		f.errf(deref(n).Line, "%s %q: use at most 64 letters, digits, _ and -", what, s)
		return "", false
	}
	return s, true
}

// varName reads the name of a variable a flow writes.
func (f file) varName(n *yaml.Node, what string) string {
	s, ok := f.str(n, what)
	if !ok {
		return ""
	}
	return f.checkVar(deref(n).Line, s)
}

// checkVar reports a variable name flows may not write.
func (f file) checkVar(line int, s string) string {
	if len(s) > 32 || s[0] < 'a' || s[0] > 'z' || strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_')
	}) >= 0 {
		f.errf(line, "variable %q: use at most 32 lower-case letters, digits and _, starting with a letter", s)
		return ""
	}
	if s == "misses" {
		f.errf(line, "variable \"misses\" is kept by the engine (messages not understood in a row); flows may only read it")
		return ""
	}
	return s
}

// flag reads a `key: true`.
func (f file) flag(n *yaml.Node, what string) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Value != "true" {
		f.errf(n.Line, "%s must be true (or left out)", what)
	}
}

// template parses one template, reporting its problems.
func (f file) template(n *yaml.Node, what string) tmpl {
	s, ok := f.str(n, what)
	if !ok {
		return nil
	}
	t, err := parseTemplate(strings.TrimSpace(s), f.l.shopValue)
	if err != nil {
		f.errf(deref(n).Line, "%s: %v", what, err)
		return nil
	}
	return t
}

// shopValue reports whether {{shop.key}} is defined, or cannot be told
// because shop.yaml is broken (one problem is enough).
func (l *loader) shopValue(key string) bool {
	_, ok := l.set.shop[key]
	return ok || !l.shopRead
}

// text reads a text: a plain string when there is one language, else a
// map language → string with every language.
func (f file) text(n *yaml.Node, what string) text {
	langs := f.l.set.langs
	n = deref(n)
	if n.Kind == yaml.ScalarNode {
		t := f.template(n, what)
		if t == nil {
			return nil
		}
		if len(langs) > 1 {
			f.errf(n.Line, "%s has one language; give every language: {%s: \"...\"}", what, strings.Join(langs, `: "...", `))
			return nil
		}
		return text{t}
	}
	if n.Kind != yaml.MappingNode {
		f.errf(n.Line, "%s must be a text, or a map of language to text", what)
		return nil
	}
	out := make(text, len(langs))
	present := make([]bool, len(langs))
	ok := len(langs) > 0
	for _, p := range f.pairs(n, what) {
		t := f.template(p.value, what+" ("+p.key.Value+")")
		i := slices.Index(langs, p.key.Value)
		switch {
		case len(langs) == 0:
		case i < 0:
			f.errf(p.key.Line, "%s: %q is not one of the languages (%s)", what, p.key.Value, strings.Join(langs, ", "))
			ok = false
		default:
			present[i] = true
			out[i] = t
			ok = ok && t != nil
		}
	}
	for i, lang := range langs {
		if !present[i] {
			f.errf(n.Line, "%s has no %q translation", what, lang)
			ok = false
		}
	}
	if !ok {
		return nil
	}
	return out
}
