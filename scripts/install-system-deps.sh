#!/usr/bin/env bash
# The Debian packages the tests talk to, installed with apt-get (run as root): Debian's
# mosquitto (the MQTT 5 broker of the connectivity tests), WPE WebKit through Cog and
# WPEWebDriver, WebKitGTK through MiniBrowser and WebKitWebDriver under xvfb-run (xvfb,
# xauth), Chromium (the browser tests and the simulator's HTML report), systemd's
# systemd-notify (the agent's readiness and watchdog) and python3 (the systemd test listens
# for them on a datagram socket, which Node cannot open). The tests start and stop them
# themselves. Does nothing when every package is already installed, so
# the README's test command and .ci/run can both call it every time.
set -euo pipefail

debs=(mosquitto cog wpewebkit-driver libwpebackend-fdo-1.0-1 webkit2gtk-driver xvfb xauth chromium systemd python3)

dpkg -s "${debs[@]}" >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: needs root to install ${debs[*]} (sudo $0)" >&2
  exit 1
fi
had_mosquitto=$(dpkg -s mosquitto >/dev/null 2>&1 && echo yes || echo no)
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${debs[@]}" >/dev/null
# On a machine run by systemd, Debian starts the new mosquitto as a service on port 1883,
# the port of the agent's embedded broker, and `npm start` would then find it taken. The
# tests start their own mosquitto on ports of their own, so the service is not needed.
if [ "$had_mosquitto" = no ] && [ -d /run/systemd/system ]; then
  systemctl disable --now mosquitto.service >/dev/null 2>&1 || true
fi
echo "install-system-deps: installed ${debs[*]}"
