// syncward's optional page configuration (every field has a default; see the README's "In
// the browser"). Here: "online" needs the app's own backend to answer GET /health with 204,
// which a captive portal or a dead uplink cannot fake, checked again every 30 s.
self.syncwardConfig = {
  probe: { url: "/health", expectedStatus: 204, intervalMs: 30000 },
};
