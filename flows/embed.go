// Package flows holds the conversation flows Mitra ships with: a small
// Indonesian food and grocery shop, Warung Bu Sari. They are embedded in
// the binary so that Mitra runs with no files to install, and they show a
// shop how to write its own (MITRA_FLOWS_DIR replaces them).
package flows

import "embed"

// FS holds shop.yaml, one file per flow, the catalog (catalog.yaml),
// the conversation tests in tests/ and the evaluation set eval.tsv, in
// the layout flow.Load, catalog.Load, flow.RunTests and flow.Evaluate
// read.
//
//go:embed *.yaml tests/*.yaml eval.tsv
var FS embed.FS
