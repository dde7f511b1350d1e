// Package flows holds the conversation flows Mitra ships with: a small
// Indonesian food and grocery shop, Warung Bu Sari. They are embedded in
// the binary so that Mitra runs with no files to install, and they show a
// shop how to write its own (MITRA_FLOWS_DIR replaces them).
package flows

import "embed"

// FS holds shop.yaml, one file per flow and the conversation tests in
// tests/, in the layout flow.Load and flow.RunTests read.
//
//go:embed *.yaml tests/*.yaml
var FS embed.FS
