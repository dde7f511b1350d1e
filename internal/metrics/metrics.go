// Package metrics exposes Mitra's counters in the Prometheus format. It
// is the only package that imports the Prometheus client; the runtime and
// the sender record through small interfaces of their own.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mitra-care/mitra/internal/care"
)

// Metrics holds every series Mitra exports, on a registry of its own so
// tests and several instances in one process do not collide.
type Metrics struct {
	reg       *prometheus.Registry
	inbound   *prometheus.CounterVec
	processed *prometheus.CounterVec
	latency   prometheus.Histogram
	outbound  *prometheus.CounterVec
	alerts    *prometheus.CounterVec
	cosmetic  *prometheus.CounterVec
}

// New registers Mitra's series and the Go runtime's.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		inbound: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mitra_messages_in_total",
			Help: "Inbound messages received, by channel and kind.",
		}, []string{"channel", "kind"}),
		processed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mitra_messages_processed_total",
			Help: "Inbound messages by outcome: stored, duplicate, invalid, failed, dead_lettered (could not be processed; page on it).",
		}, []string{"outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "mitra_processing_seconds",
			Help:    "Time from receiving an inbound message to its effect and replies being stored.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		outbound: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mitra_messages_out_total",
			Help: "Outbound messages by channel, class and what the gate and channel made of them (sent, deferred, refused, failed).",
		}, []string{"channel", "class", "result"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mitra_channel_alerts_total",
			Help: "Alerts a channel raised for the shop's staff, by channel and kind (logged_out, temporary_ban, stream_replaced, client_outdated, resolved).",
		}, []string{"channel", "kind"}),
		cosmetic: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mitra_channel_cosmetic_failures_total",
			Help: "Cosmetic platform calls that failed (typing, presence, read receipts, button answers), by channel and call; the message went anyway.",
		}, []string{"channel", "call"}),
	}
	m.reg.MustRegister(m.inbound, m.processed, m.latency, m.outbound, m.alerts, m.cosmetic,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the series for /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Received counts an inbound message.
func (m *Metrics) Received(in care.Inbound) {
	m.inbound.WithLabelValues(string(in.Address.Channel), string(in.Kind)).Inc()
}

// Processed records how handling an inbound message ended and how long it
// took.
func (m *Metrics) Processed(outcome string, d time.Duration) {
	m.processed.WithLabelValues(outcome).Inc()
	m.latency.Observe(d.Seconds())
}

// Delivered counts an outbound message by what became of it.
func (m *Metrics) Delivered(o care.Outbound, result string) {
	m.outbound.WithLabelValues(string(o.Address.Channel), string(o.Class), result).Inc()
}

// Alert counts an alert a channel raised, so monitoring can page on it.
func (m *Metrics) Alert(ch care.Channel, kind string) {
	m.alerts.WithLabelValues(string(ch), kind).Inc()
}

// Cosmetic counts a cosmetic call that failed; the message went anyway.
func (m *Metrics) Cosmetic(ch care.Channel, call string) {
	m.cosmetic.WithLabelValues(string(ch), call).Inc()
}

// LaneStats is what waits in one outbox lane.
type LaneStats struct {
	Lane             string
	Waiting, Pending int64
}

// WatchLanes exports what waits in the outbox lanes and the held-back
// set, read when /metrics is scraped: a channel no process runs shows as
// a lane that grows.
func (m *Metrics) WatchLanes(read func() ([]LaneStats, int64, error)) {
	m.reg.MustRegister(laneCollector{read: read})
}

var (
	laneDesc = prometheus.NewDesc("mitra_outbox_lane_messages",
		"Messages in an outbox lane, by lane and state (waiting: no sender read it; pending: read, not settled).", []string{"lane", "state"}, nil)
	heldDesc = prometheus.NewDesc("mitra_outbox_held_messages",
		"Messages held back until a time (quiet hours, caps, rate limits, follow-ups).", nil, nil)
)

type laneCollector struct {
	read func() ([]LaneStats, int64, error)
}

func (c laneCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- laneDesc
	ch <- heldDesc
}

func (c laneCollector) Collect(ch chan<- prometheus.Metric) {
	lanes, held, err := c.read()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(laneDesc, err)
		return
	}
	for _, l := range lanes {
		ch <- prometheus.MustNewConstMetric(laneDesc, prometheus.GaugeValue, float64(l.Waiting), l.Lane, "waiting")
		ch <- prometheus.MustNewConstMetric(laneDesc, prometheus.GaugeValue, float64(l.Pending), l.Lane, "pending")
	}
	ch <- prometheus.MustNewConstMetric(heldDesc, prometheus.GaugeValue, float64(held))
}
