// The connectivity scenarios against aedes in this process.
import t from "tap";
import { brokerScenarios } from "./broker-scenarios.js";
import { startAedes } from "./broker-fixtures.js";

brokerScenarios(t, startAedes);
