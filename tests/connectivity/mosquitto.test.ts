// The connectivity scenarios against Debian's mosquitto (MQTT 5), started on a free port by
// the test and stopped by its PID. If mosquitto cannot start, this fails.
import t from "tap";
import { brokerScenarios } from "./broker-scenarios.js";
import { startMosquitto } from "./broker-fixtures.js";

brokerScenarios(t, startMosquitto);
