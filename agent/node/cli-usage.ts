// What `syncward --help` and each command's `--help` print, and the error for a command line
// that asks for something impossible (exit 2, one line).

export class UsageError extends Error {
  override name = "UsageError";
}

export const GLOBAL_HELP = `syncward — Background Sync for runtimes that lack it

Usage:
  syncward agent [options]           run service workers and fire their sync events
  syncward net offline|online|auto   force the running agent's network state (auto: the signals decide)
  syncward net status                show the agent's network state and registrations
  syncward sync list                 the running agent's registrations: state, attempts, next attempt, last failure
  syncward sync fire TAG             fire a sync event now, as DevTools' Sync button does
  syncward sim [scenario] [options]  simulate a fleet and compare sync policies
  syncward COMMAND --help            the options of one command
  syncward --version
`;

export const AGENT_HELP = `Usage: syncward agent [options]

Runs service worker scripts in Node with Background Sync: keeps their registrations durable,
decides when the device is online, and fires their sync and periodicsync events.

Options (flags override the config file):
  --config FILE        JSON config (fields: preset, policy, store, serviceWorkers, windowClient,
                       probe, mqtt, connectivity, log, control, seed, http, browser; see the README). Without
                       --config and --sw: $CONFIGURATION_DIRECTORY/agent.json or
                       /etc/syncward/agent.json, if there is one
  --sw FILE            a service worker script (with --scope)
  --scope URL          the scope of its registration, e.g. http://localhost:8080/
  --store PATH         base path of the store files (default: $STATE_DIRECTORY/registrations or
                       $XDG_STATE_HOME/syncward/registrations); the workers' IndexedDB goes in
                       PATH.indexeddb/
  --preset NAME        chromium (default) or kiosk
  --probe URL          HTTP reachability probe; online only while it answers 204
  --mqtt URL           MQTT broker (mqtt://, mqtts://, ws://, wss://); without it an embedded
                       broker (MQTT 3.1.1) listens on 127.0.0.1:1883 and lets in only clients
                       with the credential generated into --mqtt-credential-file
  --no-mqtt            no MQTT at all: the probe (or nothing) decides
  --broker-port N      port of the embedded broker (0: any free port)
  --mqtt-client-id ID  MQTT client id (default: syncward-HOSTNAME)
  --mqtt-username NAME, --mqtt-password-file FILE   broker credentials (or SYNCWARD_MQTT_PASSWORD)
  --mqtt-credential-file FILE  user:password file: the embedded broker's, generated on the first
                       start (default: broker-credential beside the store, 0600); with --mqtt,
                       the credential to present (e.g. another agent's)
  --mqtt-ca FILE, --mqtt-cert FILE, --mqtt-key FILE  TLS: trusted CA, client certificate and key (PEM)
  --mqtt-insecure      accept any broker certificate (testing only)
  --device-status TOPIC    the firmware's retained status: online/offline or JSON
  --backend-status TOPIC   the backend's Sparkplug STATE: {"online": bool, "timestamp": ms}
  --require LIST       signals that must all be good, e.g. broker,deviceStatus (default: all configured)
  --settle MS          a fixed time they must stay good before online (default:
                       adaptive, 250 ms after a clean outage, up to 1 min while flapping)
  --no-window-client   no window of the origin is open: register() then fails as the spec says
  --log FORMAT         text (default) or json: one line per Background Service event
  --control PATH       control socket (default: $RUNTIME_DIRECTORY/control.sock or
                       $XDG_RUNTIME_DIR/syncward/control.sock)
  --http ADDR          serve /healthz and /metrics (Prometheus) on a loopback address, e.g.
                       127.0.0.1:9464 (the endpoint has no authentication: loopback only)
  --seed N             seed of the scheduler's random source
  --browser-origin URL an origin whose browser-hosted service workers the agent serves (its pages
                       hand their registrations over the bridge); repeat for several
  --browser-listen ADDR  the page bridge's loopback address, e.g. 127.0.0.1:8765
  --browser-serve DIR  serve DIR as the kiosk app on the bridge's address (http://localhost:PORT/)
  --browser-devtools URL  a Chromium's DevTools endpoint (--remote-debugging-port), e.g.
                       http://127.0.0.1:9222: its service workers of the browser origins get their
                       sync events from the agent over the DevTools protocol
  --browser-launch "COMMAND ARGS…"  instead: the agent starts this Chromium-family browser itself
                       with --remote-debugging-pipe (no debugging port open) and drives it over
                       the pipe; started again when it exits, ended when the agent stops.
                       Quotes keep spaces in an argument
  -h, --help

Signals: SIGHUP reads the config file again and puts it in force (connectivity is rebuilt,
new workers start, registrations and running workers stay); a config that is bad or changes
what needs a restart is one line on stderr, and the running one stays. SIGTERM and SIGINT
flush the store and exit 0.
`;

export const NET_HELP = `Usage: syncward net offline|online|auto|status [options]

Talks to a running agent over its control socket:
  offline, online   force the agent's network state, whatever the signals say
  auto              the signals decide again
  status            online?, why, each signal, the registrations and the next wake-up (JSON)

Options:
  --control PATH    the agent's control socket (default: $RUNTIME_DIRECTORY/control.sock or
                    $XDG_RUNTIME_DIR/syncward/control.sock)
  --config FILE     or the agent's config file, to take the socket from it
  -h, --help
`;

export const SYNC_HELP = `Usage: syncward sync list [options]
       syncward sync fire TAG [options]

Talks to a running agent over its control socket:
  list       its registrations: scope, tag, kind, state, attempts, the end of the back-off
             (next attempt) and the last failure since the last success (known since the
             agent started)
  fire TAG   dispatch a sync event for TAG to the worker now, as the Sync button of Chrome
             DevTools' Background services panel does: whatever the schedule says, with
             lastChance false; no registration is needed or changed. Waits for the event's
             end; exit 0 if it completed, 1 if it failed

Options:
  --json            list: the registrations as JSON
  --scope URL       fire: the worker's scope, when the agent runs more than one
  --control PATH    the agent's control socket (default: $RUNTIME_DIRECTORY/control.sock or
                    $XDG_RUNTIME_DIR/syncward/control.sock)
  --config FILE     or the agent's config file, to take the socket from it
  -h, --help
`;
