// The HTML report in a real headless Chromium, opened from a file with every network request
// refused: the three charts are there and really drawn (SVG paths with many points, rectangles
// with width, and the policies' colours in the rendered pixels).
import t from "tap";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { runShard } from "../../device-sim/fleet.js";
import { buildReport } from "../../device-sim/report.js";
import { reportHtml } from "../../device-sim/report-html.js";
import { figureRows } from "../../device-sim/report-table.js";
import { smallScenario } from "./small-scenario.js";

const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-quic",
  "--disable-sync",
];

t.test("the report draws its charts offline in Chromium", async (t) => {
  const scenario = smallScenario("fleet-outage", {
    devices: 40,
    duration: "6h",
    fleet: [
      { outage: "backend", at: "2h", for: "20m" },
      { outage: "link", at: "4h", for: "30m", fraction: 0.5 },
    ],
  });
  const report = buildReport([await runShard(scenario, { index: 0, count: 1 })], 1);
  const dir = await mkdtemp(join(tmpdir(), "syncward-sim-html-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "report.html");
  await writeFile(file, reportHtml(report));

  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ARGS, timeout: 60_000 });
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  const fetched: string[] = [];
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("file:")) return route.continue();
    fetched.push(url);
    return route.abort();
  });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(pathToFileURL(file).href);

  const drawn = await page.evaluate(() => {
    const series = (id: string) =>
      Array.from(document.querySelectorAll<SVGPathElement>(`#${id} path.series`)).map((p) => ({
        policy: p.dataset.policy,
        commands: (p.getAttribute("d") ?? "").split(/[ML]/).length - 1,
        length: p.getTotalLength(),
        width: p.getBoundingClientRect().width,
        stroke: getComputedStyle(p).stroke,
      }));
    const rects = Array.from(document.querySelectorAll<SVGRectElement>("#connectivity rect"));
    // Every time-axis label lies within its plot's width, the first and the last included.
    const outside = Array.from(document.querySelectorAll<SVGTextElement>("svg text.x-tick"))
      .filter((text) => {
        const plot = text.ownerSVGElement!.querySelector<SVGGraphicsElement>("rect.plot")?.getBBox() ?? { x: 64, width: 780 };
        const box = text.getBBox();
        return box.x < plot.x - 0.5 || box.x + box.width > plot.x + plot.width + 0.5;
      })
      .map((text) => text.textContent);
    return {
      outside,
      viewport: document.querySelector('meta[name="viewport"]')?.getAttribute("content") ?? "",
      title: document.title,
      tableHeader: Array.from(document.querySelectorAll("#figures thead th")).map((th) => th.textContent),
      tableRows: document.querySelectorAll("#figures tbody tr").length,
      panels: Array.from(document.querySelectorAll("#backend-load figure")).map((f) => ({ id: f.id, series: f.querySelectorAll("path.series").length })),
      cdfLabels: Array.from(document.querySelectorAll("#latency-cdf text.line-label")).map((l) => l.textContent),
      cdf: series("latency-cdf"),
      load: series("backend-load"),
      rects: rects.length,
      rectsWithWidth: rects.filter((r) => r.getBoundingClientRect().width > 0).length,
      states: [...new Set(rects.map((r) => r.getAttribute("class")))].sort(),
      table: document.querySelector("#figures")?.textContent ?? "",
    };
  });
  const policies = report.policies.map((p) => p.policy);
  t.same(
    drawn.cdf.map((s) => s.policy),
    policies,
    "a latency CDF per policy",
  );
  t.same(
    drawn.load.map((s) => s.policy),
    policies,
    "a load series per policy",
  );
  for (const s of [...drawn.cdf, ...drawn.load]) {
    t.ok(s.commands >= 20, `${s.policy}: a path of ${s.commands} points`);
    t.ok(s.length > 300 && s.width > 300, `${s.policy}: ${Math.round(s.length)} px long, ${Math.round(s.width)} px wide`);
  }
  t.ok(drawn.rects >= 24 && drawn.rectsWithWidth === drawn.rects, `${drawn.rects} connectivity spans, all visible`);
  t.ok(drawn.states.includes("link-up") && drawn.states.includes("link-down"), `states drawn: ${drawn.states.join(", ")}`);
  t.match(drawn.table, /delivered/, "the figures table");
  t.same(drawn.tableHeader, ["", ...policies], "a real table: a column per policy");
  t.equal(drawn.tableRows, figureRows(report).rows.length, "and a row per figure");
  t.same(
    drawn.panels.map((p) => p.series),
    policies.map(() => 1),
    "a load panel per policy, one series each",
  );
  t.equal(new Set(drawn.panels.map((p) => p.id)).size, policies.length, "with ids of their own");
  t.same(drawn.cdfLabels, policies, "each CDF line labelled with its policy");
  t.same(drawn.outside, [], "no axis label outside its chart");
  t.match(drawn.viewport, /width=device-width/, "a viewport for phones");
  t.match(drawn.title, /syncward sim: fleet-outage/, "a title");

  // The pixels: each chart's policy colours are really painted.
  for (const id of ["latency-cdf", "backend-load"]) {
    const png = await page.locator(`#${id}`).screenshot();
    const colours = await page.evaluate(
      async ({ data, wanted }) => {
        const img = new Image();
        img.src = `data:image/png;base64,${data}`;
        await img.decode();
        const c = document.createElement("canvas");
        c.width = img.width;
        c.height = img.height;
        const g = c.getContext("2d")!;
        g.drawImage(img, 0, 0);
        const px = g.getImageData(0, 0, c.width, c.height).data;
        return wanted.map((hex) => {
          const [r, gg, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
          let n = 0;
          for (let i = 0; i < px.length; i += 4) if (Math.abs(px[i]! - r!) < 40 && Math.abs(px[i + 1]! - gg!) < 40 && Math.abs(px[i + 2]! - b!) < 40) n++;
          return n;
        });
      },
      { data: png.toString("base64"), wanted: ["#1b9e77", "#d95f02", "#7570b3", "#e7298a"] },
    );
    t.ok(
      colours.every((n) => n > 50),
      `${id}: pixels of each policy's colour ${colours.join(", ")}`,
    );
  }
  t.same(fetched, [], "nothing fetched from the network");
  t.same(errors, [], "no page errors");
});
