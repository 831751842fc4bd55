// End-to-end test of the real Jobfetch window on its demo archive, driven over WebDriver through tauri-driver.
//
// Needs: the debug app binary (JOBFETCH_APP), tauri-driver (TAURI_DRIVER or on PATH), WebKitWebDriver, and a display
// (run under xvfb-run on a headless machine). The app must start in demo mode: JOBFETCH_DEMO=1 in tauri-driver's
// environment, which WebKitWebDriver and the app inherit. This script sets it for the tauri-driver it spawns unless
// the runner already set JOBFETCH_DEMO, and likewise JOBFETCH_DEMO_SLOW=1 so the demo archive serves files slowly
// enough to catch a download running. Screenshots go to target/e2e/ under the repository root.
//
//   JOBFETCH_APP=target/debug/jobfetch-app xvfb-run -a node tests/e2e/app.test.mjs

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { relative, resolve } from "node:path";
import { after, before } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import {
  DRIVER_URL,
  Driver,
  SHOTS,
  appBinary,
  countIn,
  endRun,
  shownErrors as errorsShownIn,
  startSim,
  stepper,
  stopSim,
  waitShowingErrors as waitShowing,
} from "./harness.mjs";
import { Session, waitFor } from "./webdriver.mjs";

const DEMO_USER = "demo";
/** A demo job that reproduces a real DESaccess cutout job's outputs. */
const DEMO_JOB = "c39008aa52f54b9e94335b566743af0c";
const DEMO_TILE = "DES0226-1541";
const DEMO_FILES = [
  `${DEMO_TILE}/DESJ022640.4160-154120.0040_irg_stiff.png`,
  `${DEMO_TILE}/DESJ022640.4160-154120.0040_r.fits`,
  "BTL_C39008AA52F54B9E94335B566743AF0C.csv",
  "BulkThumbs_20200706-152133.log",
  "BulkThumbs_20200706-152133_SUMMARY.json",
];

const TREE_ENTRY = "[data-testid=output-tree] [data-testid=tree-folder], [data-testid=output-tree] [data-testid=tree-file]";
const FITS_FILE = '[data-testid=tree-file][data-path$=".fits"]';
const TRANSFERS_PANEL = "[data-testid=transfers-panel]";
const PNG_FILE = '[data-testid=tree-file][data-path$=".png"]';

let driver;
let session;
/** The second simulator, started for the accounts step. */
let secondSim;
/**
 * The app's own data folder for this run (XDG_DATA_HOME): the accounts the test adds are saved in the app's
 * settings store, which must be neither the user's nor the last run's.
 */
const APP_DATA_HOME = mkdtempSync(resolve(tmpdir(), "jobfetch-e2e-data-"));
/** Likewise its config folder (XDG_CONFIG_HOME), where the window's size and place are kept. */
const APP_CONFIG_HOME = mkdtempSync(resolve(tmpdir(), "jobfetch-e2e-config-"));

const step = stepper(() => session);
const count = (selector) => countIn(session, selector);
const waitShowingErrors = (predicate, options) => waitShowing(session, predicate, options);
const shownErrors = () => errorsShownIn(session);

before(async () => {
  const binary = appBinary();
  driver = await Driver.start({
    JOBFETCH_DEMO: process.env.JOBFETCH_DEMO ?? "1",
    JOBFETCH_DEMO_SLOW: process.env.JOBFETCH_DEMO_SLOW ?? "1",
    XDG_DATA_HOME: APP_DATA_HOME,
    XDG_CONFIG_HOME: APP_CONFIG_HOME,
  });
  session = await Session.create(DRIVER_URL, binary);
});

after(() => endRun(session, driver, [APP_DATA_HOME, APP_CONFIG_HOME], () => stopSim(secondSim)));

step("signs in to the demo archive by itself and lists its jobs", async () => {
  await waitShowingErrors(async () => (await count("[data-testid=job-row]")) >= 5, {
    timeout: 60_000,
    interval: 500,
    message: "at least 5 jobs in the job list",
  });
  const user = await session.findElement("[data-testid=signed-in-user]");
  assert.equal((await user.getText()).trim(), DEMO_USER);
  assert.equal(await count("[data-testid=error-banner]"), 0, "no error banner is shown");
  await session.takeScreenshot(resolve(SHOTS, "01-jobs.png"));
});

step("opens a successful job and shows its output tree with FITS and PNG files", async () => {
  const [demoJob] = await session.findElements(`[data-testid=job-row][data-job-id="${DEMO_JOB}"]`);
  const [firstSuccess] = await session.findElements("[data-testid=job-row][data-status=success]");
  const row = demoJob ?? firstSuccess;
  assert.ok(row, "the job list has a job whose status is success");
  const jobId = await row.getAttribute("data-job-id");
  await row.click();

  await waitFor(
    async () => {
      const detail = await session.findElement("[data-testid=job-detail]");
      return (await detail.getAttribute("data-job-id")) === jobId;
    },
    { message: `the details of job ${jobId}` },
  );
  await waitFor(async () => (await count(TREE_ENTRY)) > 0, { timeout: 30_000, message: "entries in the output tree" });

  // Open the demo job's tile folder (or the first folder), then more folders until a FITS and a PNG file are listed.
  const missingFiles = async () => (await count(FITS_FILE)) === 0 || (await count(PNG_FILE)) === 0;
  const firstClosedFolder = async () => (await session.findElements('[data-testid=tree-folder][aria-expanded="false"]'))[0];
  const opened = [];
  let next = (await session.findElements(`[data-testid=tree-folder][data-path="${DEMO_TILE}"]`))[0] ?? (await firstClosedFolder());
  while (next && opened.length < 20 && (opened.length === 0 || (await missingFiles()))) {
    const folder = next;
    opened.push(await folder.getAttribute("data-path"));
    await folder.click();
    await waitFor(async () => (await folder.getAttribute("aria-expanded")) === "true", { message: `folder ${opened.at(-1)} to open` });
    next = await firstClosedFolder();
  }
  assert.ok(opened.length > 0, "the output tree has a folder to open");
  assert.ok(!(await missingFiles()), `a FITS and a PNG file are listed after opening ${opened.join(", ")}`);

  const fits = await session.findElement(FITS_FILE);
  assert.match(await fits.getText(), /FITS/, "a FITS file is labelled FITS");
  const png = await session.findElement(PNG_FILE);
  assert.match(await png.getText(), /STIFF|Lupton|Image/, "a PNG file is labelled by how it was made");

  if (jobId === DEMO_JOB) {
    for (const path of DEMO_FILES) {
      assert.equal(await count(`[data-testid=tree-file][data-path="${path}"]`), 1, `${path} is listed`);
    }
    const r = await session.findElement(`[data-testid=tree-file][data-path="${DEMO_FILES[1]}"]`);
    assert.match(await r.getText(), /FITS r/);
  }
  await session.takeScreenshot(resolve(SHOTS, "02-job-outputs.png"));
});

step(
  "downloads the job, and pauses and resumes the running batch in the transfers panel",
  async () => {
    const jobId = await (await session.findElement("[data-testid=job-detail]")).getAttribute("data-job-id");
    const downloadAll = await session.findElement("[data-testid=download-all]");
    await waitFor(async () => (await downloadAll.getAttribute("disabled")) === null, { message: "Download all to be enabled" });
    await downloadAll.click();

    // Starting a download opens the panel by itself; open it with the toggle if it is not open.
    await waitShowingErrors(async () => (await count(TRANSFERS_PANEL)) > 0 || (await count("[data-testid=error-banner]")) > 0, {
      message: "the transfers panel after Download all",
    });
    assert.deepEqual(await shownErrors(), [], `Download all of job ${jobId} starts without an error`);
    if ((await count(TRANSFERS_PANEL)) === 0) await (await session.findElement("[data-testid=transfers-toggle]")).click();

    // The panel points at the batch just started (aria-current), whatever else it lists.
    const started = await waitShowingErrors(
      async () => (await session.findElements(`${TRANSFERS_PANEL} [data-testid=batch][aria-current=true]`))[0],
      { timeout: 30_000, message: "the new batch in the transfers panel" },
    );
    const batch = `${TRANSFERS_PANEL} [data-testid=batch][data-batch-id="${await started.getAttribute("data-batch-id")}"]`;
    let seen = "nothing yet";
    const progress = async () => {
      const state = await (await session.findElement(batch)).getAttribute("data-state");
      const bar = await session.findElement(`${batch} [data-testid=batch-progress]`);
      const done = Number(await bar.getAttribute("data-bytes-done"));
      const total = Number(await bar.getAttribute("data-bytes-total"));
      seen = `${state}, ${done} of ${total} bytes`;
      return { state, done, total };
    };
    const untilBatch = (predicate, timeout, message) =>
      waitShowingErrors(async () => predicate(await progress()), { timeout, message: `the batch to be ${message}` }).catch((error) => {
        throw new Error(`${error.message} (last seen: ${seen})`);
      });
    const press = async (control) => (await session.findElement(`${batch} [data-testid=${control}]`)).click();

    await untilBatch(({ state, done }) => state === "running" && done > 0, 30_000, "running with bytes done");
    await session.takeScreenshot(resolve(SHOTS, "03-transfer-running.png"));

    await press("batch-pause");
    await untilBatch(({ state }) => state === "paused", 15_000, "paused");
    // Paused means no more bytes arrive: once settled, two readings a second and a half apart agree.
    await sleep(1_000);
    const settled = await progress();
    await sleep(1_500);
    const paused = await progress();
    assert.equal(paused.state, "paused", "the batch stays paused");
    assert.equal(paused.done, settled.done, "no bytes arrive while paused");
    assert.ok(paused.done < paused.total, `the batch is not complete while paused (${seen})`);
    await session.takeScreenshot(resolve(SHOTS, "04-transfer-paused.png"));

    await press("batch-resume");
    await untilBatch(({ state }) => state === "done", 90_000, "done");
    const done = await progress();
    assert.ok(done.total > 0 && done.done === done.total, `every byte arrived (${seen})`);
    await session.takeScreenshot(resolve(SHOTS, "05-transfer-done.png"));
  },
  180_000,
);

/** The demo's job of 520 cutouts, each in a folder of its own. */
const GALLERY_JOB = "e8c6a4f2d0b94e7c5a3f1d9b7e5c3a16";
/** Its folder in the download folder: the app names a job's folder by its name and id. */
const GALLERY_JOB_FOLDER = `des-wide-520_${GALLERY_JOB}`;
/** The demo's job of 10,000 images in 50 tiles. */
const HUGE_JOB = "9a7c5e3b1d0f4c8a6e2b4d6f8a0c2e41";
const TILE = "[data-testid=gallery] [data-testid=gallery-tile]";
const SHIFT = "\uE008";
const CONTROL = "\uE009";
/** Times measured here, printed and kept in target/e2e/timings.json for `make bench`. */
const timings = {};

/** Opens a job from the job list and waits for its outputs to be listed. */
async function openJob(jobId) {
  await (await session.findElement(`[data-testid=job-row][data-job-id="${jobId}"]`)).click();
  await waitShowingErrors(
    async () => (await (await session.findElement("[data-testid=job-detail]")).getAttribute("data-job-id")) === jobId,
    { message: `the details of job ${jobId}` },
  );
  await waitShowingErrors(async () => (await count("[data-testid=view-switch]")) > 0 && (await count("[data-testid=selection-summary]")) > 0, {
    timeout: 30_000,
    message: `the outputs of job ${jobId}`,
  });
}

/** The tiles on screen with their paths, states, selection and places. */
async function tiles() {
  return session.executeScript(`
    const frame = document.querySelector("[data-testid=gallery]").getBoundingClientRect();
    return [...document.querySelectorAll(${JSON.stringify(TILE)})].map((tile) => {
      const r = tile.getBoundingClientRect();
      const image = tile.querySelector("[data-testid=tile-image]");
      return { path: tile.dataset.path, state: tile.dataset.state, selected: tile.dataset.selected === "true",
               index: Number(tile.dataset.index), x: r.x, y: r.y, width: r.width, height: r.height,
               loaded: !!image && image.complete && image.naturalWidth > 0,
               visible: r.bottom > frame.top && r.top < frame.bottom,
               inside: r.top >= frame.top && r.bottom <= frame.bottom && r.left >= frame.left && r.right <= frame.right };
    });`);
}

async function selectedPaths() {
  return (await tiles()).filter((tile) => tile.selected).map((tile) => tile.path).sort();
}

/** Waits until every visible tile that shows a picture has one, and says how long that took from `start`. */
async function firstScreen(start, label) {
  let last = [];
  await waitShowingErrors(
    async () => {
      last = (await tiles()).filter((tile) => tile.visible);
      return last.length > 0 && last.every((tile) => tile.state !== "loading" && (tile.state !== "image" || tile.loaded));
    },
    { timeout: 60_000, interval: 50, message: `the first screen of thumbnails (${label})` },
  ).catch((error) => {
    throw new Error(`${error.message}; tiles: ${JSON.stringify(last.map((t) => `${t.path}:${t.state}`))}`);
  });
  const elapsed = Date.now() - start;
  const shown = last.filter((tile) => tile.state === "image").length;
  assert.ok(shown > 0, `thumbnails are shown (${JSON.stringify(last.map((t) => `${t.path}:${t.state}`))})`);
  const broken = last.filter((tile) => tile.state === "error");
  assert.deepEqual(broken.map((tile) => tile.path), [], "no visible tile failed to load");
  console.log(`first screen of thumbnails, ${label} cache: ${elapsed} ms (${shown} thumbnails)`);
  timings[`first_screen_${label}_ms`] = elapsed;
  return last;
}

/** Clicks `tile` with the mouse, as a person does (pointer events and all), holding `key` (Shift or Control) if given. */
async function clickTile(tile, key = null) {
  const center = { x: Math.round(tile.x + tile.width / 2), y: Math.round(tile.y + tile.height / 3) };
  const keys = key
    ? [{ type: "keyDown", value: key }, { type: "pause" }, { type: "pause" }, { type: "pause" }, { type: "keyUp", value: key }]
    : [{ type: "pause" }, { type: "pause" }, { type: "pause" }, { type: "pause" }, { type: "pause" }];
  await session.performActions([
    { type: "key", id: "keyboard", actions: keys },
    {
      type: "pointer",
      id: "mouse",
      parameters: { pointerType: "mouse" },
      actions: [
        { type: "pause" },
        { type: "pointerMove", origin: "viewport", ...center },
        { type: "pointerDown", button: 0 },
        { type: "pointerUp", button: 0 },
        { type: "pause" },
      ],
    },
  ]);
  await session.releaseActions();
}

step(
  "shows a job's thumbnails in the gallery, selects by dragging and clicking, and downloads exactly the selection",
  async () => {
    // The transfers panel is open from the download before; close it to give the gallery the window.
    if ((await count(TRANSFERS_PANEL)) > 0) await (await session.findElement("[data-testid=transfers-toggle]")).click();
    await waitFor(async () => (await count(TRANSFERS_PANEL)) === 0, { message: "the transfers panel to close" });
    // As a person would for a gallery: the window as large as the screen allows.
    await session.call("POST", "/window/maximize", {}).catch((error) => console.error(`Could not maximize the window: ${error.message}`));
    await openJob(GALLERY_JOB);
    const start = Date.now();
    await (await session.findElement("[data-testid=view-gallery]")).click();
    const visible = await firstScreen(start, "cold");
    await session.takeScreenshot(resolve(SHOTS, "06-gallery.png"));

    // Drag from the empty space above and left of the first tile to the middle of a tile further down and right.
    const inside = visible.filter((tile) => tile.inside);
    const first = inside.find((tile) => tile.index === 0);
    assert.ok(first, `the first tile is wholly on screen (${JSON.stringify(visible)})`);
    const target = inside.find((tile) => tile.x > first.x + first.width && tile.y > first.y + first.height) ?? inside.at(-1);
    const from = { x: Math.round(first.x - 5), y: Math.round(first.y - 5) };
    const to = { x: Math.round(target.x + target.width / 2), y: Math.round(target.y + target.height / 2) };
    const box = { left: Math.min(from.x, to.x), right: Math.max(from.x, to.x), top: Math.min(from.y, to.y), bottom: Math.max(from.y, to.y) };
    const touched = visible
      .filter((t) => t.x <= box.right && t.x + t.width >= box.left && t.y <= box.bottom && t.y + t.height >= box.top)
      .map((t) => t.path)
      .sort();
    assert.ok(touched.length >= 2, `the rectangle touches several tiles (${touched.join(", ")})`);
    const mouse = (actions) => session.performActions([{ type: "pointer", id: "mouse", parameters: { pointerType: "mouse" }, actions }]);
    await mouse([
      { type: "pointerMove", origin: "viewport", ...from },
      { type: "pointerDown", button: 0 },
      { type: "pointerMove", origin: "viewport", duration: 250, x: Math.round((from.x + to.x) / 2), y: Math.round((from.y + to.y) / 2) },
      { type: "pointerMove", origin: "viewport", duration: 250, ...to },
    ]);
    assert.equal(await count("[data-testid=drag-rect]"), 1, "the rectangle is drawn while dragging");
    await session.takeScreenshot(resolve(SHOTS, "07-gallery-drag.png"));
    await mouse([{ type: "pointerUp", button: 0 }]);
    await session.releaseActions();
    assert.deepEqual(await selectedPaths(), touched, "the drag selects exactly the tiles the rectangle touches");

    // Shift-click extends from the anchor in display order; Ctrl-click takes one out again.
    const onScreen = (await tiles()).filter((tile) => tile.inside).sort((a, b) => a.index - b.index);
    assert.ok(onScreen.length >= 3, `at least three tiles are wholly on screen (${onScreen.length})`);
    const [anchor, middle] = onScreen;
    const end = onScreen.at(-1);
    await clickTile(anchor);
    assert.deepEqual(await selectedPaths(), [anchor.path], "a plain click selects one tile");
    await clickTile(end, SHIFT);
    const range = onScreen.filter((tile) => tile.index >= anchor.index && tile.index <= end.index).map((tile) => tile.path).sort();
    assert.equal(range.length, end.index - anchor.index + 1, "every tile of the range is on screen");
    assert.deepEqual(await selectedPaths(), range, "shift-click selects the range");
    await clickTile(middle, CONTROL);
    const wanted = range.filter((path) => path !== middle.path);
    assert.deepEqual(await selectedPaths(), wanted, "ctrl-click takes one tile out");
    const summary = await (await session.findElement("[data-testid=selection-summary]")).getText();
    assert.match(summary, new RegExp(`\\b${wanted.length} files?\\b`), `the summary counts the selection: ${summary}`);

    // Download selected puts exactly those files on disk.
    await (await session.findElement("[data-testid=download-selected]")).click();
    const folder = await downloadFolder();
    const jobFolder = resolve(folder, GALLERY_JOB_FOLDER);
    const onDisk = () => filesIn(jobFolder);
    await waitShowingErrors(async () => (await onDisk()).length >= wanted.length, {
      timeout: 90_000,
      message: `the ${wanted.length} selected files in ${jobFolder}`,
    });
    assert.deepEqual(await onDisk(), wanted, "exactly the selected files are downloaded");
    await waitFor(async () => (await count(`${TILE} [data-testid=tile-downloaded]`)) >= wanted.length, {
      timeout: 30_000,
      message: "the downloaded tiles to be marked",
    });
  },
  240_000,
);

step("opens the detail pane with a large preview, the stretch controls and the FITS header", async () => {
  // The transfers panel (opened by the last download) would cover the lower tiles.
  if ((await count(TRANSFERS_PANEL)) > 0) await (await session.findElement("[data-testid=transfers-toggle]")).click();
  await waitFor(async () => (await count(TRANSFERS_PANEL)) === 0, { message: "the transfers panel to close" });
  const fits = (await tiles()).find((tile) => tile.inside && /\.fits(\.fz)?$/.test(tile.path) && tile.state === "image");
  assert.ok(fits, "a FITS tile with a thumbnail is on screen");
  await clickTile(fits);
  await session.performActions([{ type: "key", id: "keyboard", actions: [{ type: "keyDown", value: "\uE007" }, { type: "keyUp", value: "\uE007" }] }]);
  await session.releaseActions();
  await waitShowingErrors(async () => (await count("[data-testid=preview-pane] [data-testid=header-cards]")) > 0, {
    timeout: 30_000,
    message: "the detail pane with the header cards",
  });
  const cards = await (await session.findElement("[data-testid=header-cards]")).getText();
  assert.match(cards, /NAXIS1/, "the header cards include NAXIS1");
  await waitFor(
    async () => (await session.executeScript("const i = document.querySelector('[data-testid=preview-image]'); return !!i && i.naturalWidth > 0;")),
    { timeout: 30_000, message: "the large preview to load" },
  );
  await sleep(300);
  await session.takeScreenshot(resolve(SHOTS, "08-preview-pane.png"));
  await (await session.findElement("[data-testid=preview-close]")).click();
  await waitFor(async () => (await count("[data-testid=preview-pane]")) === 0, { message: "the detail pane to close" });
});

step("reopens the gallery from the warm thumbnail cache", async () => {
  await openJob(DEMO_JOB);
  await openJob(GALLERY_JOB);
  const start = Date.now();
  if ((await count("[data-testid=gallery]")) === 0) await (await session.findElement("[data-testid=view-gallery]")).click();
  await firstScreen(start, "warm");
});

/** Resident memory in MiB of the processes whose command line matches `pattern` (Linux /proc). */
async function residentMiB(pattern) {
  const { readdir, readFile } = await import("node:fs/promises");
  let kib = 0;
  for (const pid of (await readdir("/proc")).filter((name) => /^\d+$/.test(name))) {
    const command = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (!pattern.test(command)) continue;
    const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
    kib += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  }
  return Math.round(kib / 1024);
}

step("scrolls the gallery of the 10,000-image job and keeps the app's memory in bounds", async () => {
  await openJob(HUGE_JOB);
  await waitShowingErrors(async () => (await count(TILE)) > 0, { timeout: 60_000, message: "the 10,000-image gallery" });
  const rendered = await count(TILE);
  assert.ok(rendered < 200, `only the tiles near the screen are drawn (${rendered})`);
  // Scroll through the middle of the job, letting each screen load, as a person browsing would.
  for (const fraction of [0.25, 0.5, 0.75]) {
    await session.executeScript(
      "const g = document.querySelector('[data-testid=gallery]'); g.scrollTop = arguments[0] * g.scrollHeight; g.dispatchEvent(new Event('scroll'));",
      [fraction],
    );
    await firstScreen(Date.now(), `10k-at-${Math.round(fraction * 100)}pct`);
  }
  const app = await residentMiB(/jobfetch-app/);
  const web = await residentMiB(/WebKitWebProcess/);
  console.log(`memory with the 10,000-image job open: app ${app} MiB, web view ${web} MiB (target: app under 400 MiB)`);
  timings.rss_10k_app_mib = app;
  timings.rss_10k_webview_mib = web;
  await session.takeScreenshot(resolve(SHOTS, "09-gallery-10k.png"));
  const { writeFile } = await import("node:fs/promises");
  await writeFile(resolve(SHOTS, "timings.json"), JSON.stringify(timings, null, 2));
});

/** The simulators' demo password (the same on every simulator), which no field on screen may show. */
let demoPassword = null;

/** The demo's query job `bright-stars` (a CSV of 2,000 rows and meta.json): small enough to download quickly. */
const SMALL_JOB = "4b6d8f0a2c4e4a7b8d1f3a5c7e9b1d63";
/** The demo's query job `dr2-main-sample` (three CSVs of 2,000 rows and meta.json). */
const SMALL_SPLIT_JOB = "8d0f2b4d6f8a4c9e0b2d4f6a8c0e2b79";

/** The simulator's file-server bytes per path (GET /_sim/stats). */
async function simBytes(origin) {
  const response = await fetch(`${origin}/_sim/stats`);
  assert.ok(response.ok, `${origin}/_sim/stats answers (HTTP ${response.status})`);
  return (await response.json()).bytes_sent ?? {};
}

/** The bytes a simulator sent for one job's folder: its listings and its files. */
async function jobBytes(origin, jobId) {
  const sent = await simBytes(origin);
  return Object.entries(sent)
    .filter(([path]) => path.includes(`/${jobId}`))
    .reduce((sum, [, bytes]) => sum + bytes, 0);
}

/** The active account, as the top bar shows it. */
/** The folder the active account's downloads go to. */
async function downloadFolder() {
  const { id } = await activeAccount();
  return session.executeScript("return window.__TAURI_INTERNALS__.invoke('download_folder', { account: arguments[0] });", [id]);
}

async function activeAccount() {
  return session.executeScript(`
    const label = document.querySelector("[data-testid=active-account]");
    return label ? { id: label.dataset.accountId, label: label.innerText.trim() } : null;`);
}

/** The accounts the jobs on screen belong to. */
async function jobAccounts() {
  return session.executeScript(`return [...document.querySelectorAll("[data-testid=job-row]")].map((row) => row.dataset.accountId);`);
}

/** Waits until `accountId` is the active account and its job list has loaded (every row from that account). */
async function untilAccountShown(accountId, what) {
  let seen = "nothing yet";
  await waitShowingErrors(
    async () => {
      const active = await activeAccount().catch(() => null);
      const owners = await jobAccounts().catch(() => []);
      seen = `active ${active?.id}, ${owners.length} jobs of ${[...new Set(owners)].join(", ")}`;
      return active?.id === accountId && owners.length >= 5 && owners.every((owner) => owner === accountId);
    },
    { timeout: 60_000, interval: 300, message: `${what} to be active with its jobs listed` },
  ).catch((error) => {
    throw new Error(`${error.message} (last seen: ${seen})`);
  });
}

async function openAccountMenu() {
  if ((await count("[data-testid=account-menu]")) === 0) await (await session.findElement("[data-testid=account-menu-button]")).click();
  await waitFor(async () => (await count("[data-testid=account-menu]")) > 0, { message: "the account menu to open" });
}

/** Switches to an account through the account menu and waits for its jobs. */
async function switchTo(accountId, what) {
  await openAccountMenu();
  await (await session.findElement(`[data-testid=account-menu] [data-testid=account-item][data-account-id="${accountId}"]`)).click();
  await untilAccountShown(accountId, what);
}

/** Starts downloading all of a job and returns the new batch's id, once the transfers panel points at it. */
async function downloadAll(jobId) {
  await openJob(jobId);
  const before = new Set(
    await session.executeScript(`return [...document.querySelectorAll("[data-testid=batch]")].map((card) => card.dataset.batchId);`),
  );
  const button = await session.findElement("[data-testid=download-all]");
  await waitFor(async () => (await button.getAttribute("disabled")) === null, { message: `Download all of job ${jobId} to be enabled` });
  await button.click();
  const started = await waitShowingErrors(
    async () => {
      const [current] = await session.findElements(`${TRANSFERS_PANEL} [data-testid=batch][aria-current=true]`);
      const id = current && (await current.getAttribute("data-batch-id"));
      return id && !before.has(id) ? id : null;
    },
    { timeout: 30_000, message: `the batch of job ${jobId} in the transfers panel` },
  );
  return started;
}

/** A batch's state and bytes, from its card in the transfers panel. */
async function batchProgress(batchId) {
  const card = `${TRANSFERS_PANEL} [data-testid=batch][data-batch-id="${batchId}"]`;
  const state = await (await session.findElement(card)).getAttribute("data-state");
  const bar = await session.findElement(`${card} [data-testid=batch-progress]`);
  return { state, done: Number(await bar.getAttribute("data-bytes-done")), total: Number(await bar.getAttribute("data-bytes-total")) };
}

step(
  "adds a second account on another simulator, switches between the two, and downloads from each",
  async () => {
    const sim = (secondSim = await startSim());
    demoPassword = sim.password;
    console.log(`second simulator: ${sim.api} (${sim.username}, database ${sim.database})`);
    const demo = await activeAccount();
    assert.ok(demo.id && !demo.id.includes(`:${sim.port}/`), `the demo account (${demo.id}) is on another server than ${sim.api}`);
    const demoOrigin = `http://${/@([^/]+)/.exec(demo.id)?.[1]}`;

    // Add the second account through the menu's form.
    if ((await count(TRANSFERS_PANEL)) > 0) await (await session.findElement("[data-testid=transfers-toggle]")).click();
    await openAccountMenu();
    await (await session.findElement("[data-testid=account-menu] [data-testid=add-account]")).click();
    const dialog = "[data-testid=account-dialog]";
    await waitFor(async () => (await count(dialog)) > 0, { message: "the add-account form" });
    const fill = async (name, value) => {
      const input = await session.findElement(`${dialog} input[name="${name}"]`);
      await input.clear();
      await input.sendKeys(value);
    };
    await fill("api_base", sim.api);
    await fill("username", sim.username);
    await fill("password", sim.password);
    await session.executeScript(
      `const select = document.querySelector(arguments[0]);
       if (select && select.value !== arguments[1]) { select.value = arguments[1]; select.dispatchEvent(new Event("change", { bubbles: true })); }`,
      [`${dialog} select[name="database"]`, sim.database],
    );
    await session.takeScreenshot(resolve(SHOTS, "13-add-account-form.png"));
    await (await session.findElement(`${dialog} [data-testid=sign-in-submit]`)).click();
    await waitShowingErrors(async () => (await count(dialog)) === 0, { timeout: 30_000, message: "the second account to sign in" });
    const second = await activeAccount();
    assert.ok(second.id.includes(`:${sim.port}/`), `the active account is on the second simulator (${second.id})`);
    await untilAccountShown(second.id, "the second account");
    assert.match((await activeAccount()).label, new RegExp(`:${sim.port}/`), "the top bar shows the second server's port");
    assert.match(await (await session.findElement("[data-testid=active-archive]")).getText(), /\S/, "the top bar names the archive");
    await session.takeScreenshot(resolve(SHOTS, "11-second-account.png"));

    // The menu lists both, each with its archive, the second one active.
    await openAccountMenu();
    const items = await session.findElements("[data-testid=account-menu] [data-testid=account-item]");
    const listed = await Promise.all(items.map(async (item) => [await item.getAttribute("data-account-id"), await item.getAttribute("aria-current")]));
    assert.deepEqual(
      listed.filter(([id]) => id === demo.id || id === second.id).sort(),
      [[demo.id, null], [second.id, "true"]].sort(),
      `the menu lists both accounts, the second active (${JSON.stringify(listed)})`,
    );
    await session.takeScreenshot(resolve(SHOTS, "10-accounts-menu.png"));
    await session.performActions([{ type: "key", id: "keyboard", actions: [{ type: "keyDown", value: "\uE00C" }, { type: "keyUp", value: "\uE00C" }] }]);
    await session.releaseActions();
    await waitFor(async () => (await count("[data-testid=account-menu]")) === 0, { message: "the account menu to close" });

    // A download from the second account: its bytes come from the second simulator.
    const secondBatch = await downloadAll(SMALL_JOB);
    await waitShowingErrors(async () => (await jobBytes(sim.origin, SMALL_JOB)) > 0, {
      timeout: 30_000,
      message: `the second simulator to serve job ${SMALL_JOB}`,
    });

    // Back to the demo account: its own jobs, and a download of its own.
    await switchTo(demo.id, "the demo account");
    assert.equal((await activeAccount()).label, demo.label, "the top bar shows the demo account again");
    const demoBatch = await downloadAll(SMALL_SPLIT_JOB);

    let seen = "";
    await waitShowingErrors(
      async () => {
        const both = [await batchProgress(secondBatch), await batchProgress(demoBatch)];
        seen = JSON.stringify(both);
        return both.every(({ state, done, total }) => state === "done" && total > 0 && done === total);
      },
      { timeout: 120_000, interval: 500, message: "both batches to be done" },
    ).catch((error) => {
      throw new Error(`${error.message} (last seen: ${seen})`);
    });
    // Let the progress bars finish their last stretch before the picture.
    await sleep(600);
    await session.takeScreenshot(resolve(SHOTS, "12-both-downloads.png"));

    // Each archive served its own account's job, and only that one.
    assert.ok((await jobBytes(demoOrigin, SMALL_SPLIT_JOB)) > 0, "the demo archive served the demo account's download");
    assert.equal(await jobBytes(sim.origin, SMALL_SPLIT_JOB), 0, "the second simulator served nothing of the demo account's job");
    assert.equal(await jobBytes(demoOrigin, SMALL_JOB), 0, "the demo archive served nothing of the second account's job");

    // Switch back once more, then remove the second account (confirmed) and land on the demo account.
    await switchTo(second.id, "the second account");
    await openAccountMenu();
    await (await session.findElement("[data-testid=account-menu] [data-testid=remove-account]")).click();
    await waitFor(async () => (await count("[data-testid=remove-confirm]")) > 0, { message: "the removal to ask for confirmation" });
    await (await session.findElement("[data-testid=remove-confirm-button]")).click();
    await untilAccountShown(demo.id, "the demo account, after removing the second");
    await openAccountMenu();
    const left = await session.executeScript(
      `return [...document.querySelectorAll("[data-testid=account-menu] [data-testid=account-item]")].map((item) => item.dataset.accountId);`,
    );
    assert.ok(!left.includes(second.id), `the removed account is gone from the menu (${left.join(", ")})`);
    await (await session.findElement("[data-testid=account-menu-button]")).click();
    stopSim(secondSim);
  },
  300_000,
);

step("signs out of the demo archive, then signs in again with one click", async () => {
  await openAccountMenu();
  await (await session.findElement("[data-testid=account-menu] [data-testid=sign-out]")).click();
  await waitShowingErrors(async () => (await count("[data-testid=sign-in-form]")) > 0, { timeout: 30_000, message: "the sign-in screen" });
  assert.equal(await count("[data-testid=job-row]"), 0, "no jobs are shown after signing out");
  const demoButton = await session.findElement("[data-testid=demo-sign-in]");
  assert.equal((await demoButton.getText()).trim(), "Use the demo DESaccess");
  if (demoPassword) {
    const shown = await session.executeScript(
      "return [...document.querySelectorAll('input')].some((input) => input.value === arguments[0]);",
      [demoPassword],
    );
    assert.equal(shown, false, "no field holds the demo password");
  }
  await session.takeScreenshot(resolve(SHOTS, "14-signed-out.png"));

  await demoButton.click();
  await waitShowingErrors(async () => (await count("[data-testid=job-row]")) >= 5, {
    timeout: 60_000,
    interval: 500,
    message: "the demo account's jobs after signing in again",
  });
  assert.equal((await (await session.findElement("[data-testid=signed-in-user]")).getText()).trim(), DEMO_USER);
});

/** The demo MAST's proposal: several HST observations, each with FITS products and PREVIEW images. */
const MAST_PROPOSAL = "16123";

/** The files below `folder` (recursively, relative to it), without manifests and partial files. */
async function filesIn(folder) {
  const { readdir } = await import("node:fs/promises");
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, resolve(entry.parentPath ?? entry.path, entry.name)))
    .filter((path) => !/^(MANIFEST\.json|MANIFEST\.html|manifest\.csv)$/.test(path) && !path.endsWith(".part"))
    .sort();
}

step(
  "adds the demo's MAST in one click, searches a proposal, previews its products and downloads a selection",
  async () => {
    await waitShowingErrors(async () => (await count("[data-testid=job-row]")) >= 5, { timeout: 60_000, message: "the demo account's jobs" });
    if ((await count(TRANSFERS_PANEL)) > 0) await (await session.findElement("[data-testid=transfers-toggle]")).click();

    // Account menu → Add account → MAST.
    const dialog = "[data-testid=account-dialog]";
    const addMast = async () => {
      await openAccountMenu();
      await (await session.findElement("[data-testid=account-menu] [data-testid=add-account]")).click();
      await waitFor(async () => (await count(dialog)) > 0, { message: "the add-account form" });
      await (await session.findElement(`${dialog} [data-testid=archive-choice][data-provider=mast]`)).click();
      await waitFor(async () => (await session.findElement(`${dialog} [data-testid=sign-in-form]`).then((form) => form.getAttribute("data-provider"))) === "mast", {
        message: "the MAST sign-in form",
      });
    };

    // Anonymous use: only the server filled in (the demo's MAST address), no token.
    const { demos } = await session.executeScript("return window.__TAURI_INTERNALS__.invoke('startup_state');");
    const mastBase = demos.find((form) => form.provider === "mast")?.values.base;
    assert.ok(mastBase, `the demo serves MAST (${JSON.stringify(demos.map((form) => form.provider))})`);
    await addMast();
    assert.equal(await (await session.findElement(`${dialog} input[name=token]`)).getAttribute("required"), null, "the token is optional");
    const server = await session.findElement(`${dialog} input[name=base]`);
    await server.clear();
    await server.sendKeys(mastBase);
    await (await session.findElement(`${dialog} [data-testid=sign-in-submit]`)).click();
    await waitShowingErrors(async () => (await count(dialog)) === 0, { timeout: 30_000, message: "anonymous MAST to sign in" });
    const anonymous = await activeAccount();
    assert.match(anonymous.id, /^mast:anonymous@/, `the active account is an anonymous MAST one (${anonymous.id})`);
    assert.match(anonymous.label, /^anonymous on /);
    await waitFor(async () => (await count("[data-testid=search-form]")) > 0, { message: "the anonymous account's search form" });

    // The demo's MAST, with its token, in one click.
    await addMast();
    const demo = await waitFor(async () => (await session.findElements(`${dialog} [data-testid=demo-sign-in][data-provider=mast]`))[0], {
      message: "the demo MAST's one-click sign-in",
    });
    assert.equal((await demo.getText()).trim(), "Use the demo MAST");
    await session.takeScreenshot(resolve(SHOTS, "15-mast-add-account.png"));
    await demo.click();
    await waitShowingErrors(async () => (await count(dialog)) === 0, { timeout: 30_000, message: "the demo MAST to sign in" });
    const mast = await activeAccount();
    assert.match(mast.id, /^mast:/, `the active account is a MAST one (${mast.id})`);
    assert.equal((await (await session.findElement("[data-testid=active-archive]")).getText()).trim(), "MAST");

    // Before a search: the form, and what each of its fields means.
    const form = "[data-testid=search-form]";
    await waitShowingErrors(async () => (await count(form)) > 0 && (await count("[data-testid=search-guide]")) > 0, {
      message: "the search form and its guide",
    });
    assert.equal(await count("[data-testid=job-row]"), 0, "nothing is listed before a search");
    await session.takeScreenshot(resolve(SHOTS, "16-mast-before-search.png"));

    // Search the demo proposal.
    const proposal = await session.findElement(`${form} input[name=proposal]`);
    await proposal.clear();
    await proposal.sendKeys(MAST_PROPOSAL);
    await (await session.findElement(`${form} [data-testid=search-submit]`)).click();
    let seen = "nothing yet";
    await waitShowingErrors(
      async () => {
        const owners = await jobAccounts();
        seen = `${owners.length} results of ${[...new Set(owners)].join(", ")}`;
        return owners.length >= 2 && owners.every((owner) => owner === mast.id);
      },
      { timeout: 60_000, interval: 300, message: `at least two observations of proposal ${MAST_PROPOSAL}` },
    ).catch((error) => {
      throw new Error(`${error.message} (last seen: ${seen})`);
    });
    const summaries = await session.executeScript(`return [...document.querySelectorAll("[data-testid=job-summary]")].map((line) => line.innerText);`);
    assert.ok(
      summaries.every((line) => line.includes(`proposal ${MAST_PROPOSAL}`)),
      `each result says it is of proposal ${MAST_PROPOSAL} (${summaries.join(" | ")})`,
    );
    await session.takeScreenshot(resolve(SHOTS, "17-mast-search.png"));

    // Open an observation and see its PREVIEW products as thumbnails in the gallery.
    const [first] = await session.findElements("[data-testid=job-row]");
    const obsid = await first.getAttribute("data-job-id");
    const obsName = await session.executeScript(
      `return document.querySelector('[data-testid=job-row][data-job-id="' + arguments[0] + '"] .name').innerText.trim();`,
      [obsid],
    );
    await openJob(obsid);
    if ((await count("[data-testid=gallery]")) === 0) await (await session.findElement("[data-testid=view-gallery]")).click();
    let shown = [];
    await waitShowingErrors(
      async () => {
        shown = await tiles();
        return shown.some((tile) => /\.(jpe?g|png)$/i.test(tile.path) && tile.state === "image" && tile.loaded);
      },
      { timeout: 60_000, interval: 250, message: `a PREVIEW thumbnail of observation ${obsName}` },
    ).catch((error) => {
      throw new Error(`${error.message}; tiles: ${JSON.stringify(shown.map((t) => `${t.path}:${t.state}`))}`);
    });
    // Let the other tiles on screen finish too, and the window paint them, for the picture.
    await waitFor(async () => (await tiles()).every((tile) => !tile.visible || tile.state !== "loading"), { timeout: 30_000 }).catch(() => {});
    await sleep(1_500);
    await session.takeScreenshot(resolve(SHOTS, "18-mast-gallery.png"));


    // Select the FITS products with "Select by kind" and download only those.
    await (await session.findElement("[data-testid=select-by-kind]")).click();
    const options = await session.findElements("[data-testid=select-kind-option]");
    const labels = await Promise.all(options.map((option) => option.getText()));
    const fitsOption = options[labels.findIndex((label) => /FITS/.test(label))];
    assert.ok(fitsOption, `"Select by kind" offers the FITS products (${labels.join(" | ")})`);
    await fitsOption.click();
    const wanted = await selectedPaths();
    assert.ok(wanted.length > 0 && wanted.every((path) => /\.fits(\.gz)?$/i.test(path)), `only FITS products are selected (${wanted.join(", ")})`);
    const folder = await downloadFolder();
    await (await session.findElement("[data-testid=download-selected]")).click();
    const batchId = await waitShowingErrors(
      async () => {
        const [current] = await session.findElements(`${TRANSFERS_PANEL} [data-testid=batch][aria-current=true]`);
        return current && (await current.getAttribute("data-batch-id"));
      },
      { timeout: 30_000, message: "the MAST batch in the transfers panel" },
    );
    let progress = "nothing yet";
    await waitShowingErrors(
      async () => {
        const { state, done, total } = await batchProgress(batchId);
        progress = `${state}, ${done} of ${total} bytes`;
        return state === "done";
      },
      { timeout: 120_000, interval: 500, message: "the MAST batch to be done" },
    ).catch((error) => {
      throw new Error(`${error.message} (last seen: ${progress})`);
    });

    // The files are in <download folder>/<collection>/<obs_id>/, exactly the selection.
    const { readdir } = await import("node:fs/promises");
    const collections = (await readdir(folder, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    const homes = [];
    for (const collection of collections) {
      if ((await readdir(resolve(folder, collection)).catch(() => [])).includes(obsName)) homes.push(resolve(folder, collection, obsName));
    }
    assert.equal(homes.length, 1, `one <collection>/${obsName} folder in ${folder} (${homes.join(", ")})`);
    assert.deepEqual(await filesIn(homes[0]), wanted, "exactly the selected products are downloaded");
    await sleep(600);
    await session.takeScreenshot(resolve(SHOTS, "19-mast-download.png"));

    // "Open folder": a file manager opens it, or, where none answers (as under Xvfb here), the card says
    // so in words, never with the launcher's raw error.
    const cardSelector = `${TRANSFERS_PANEL} [data-testid=batch][data-batch-id="${batchId}"]`;
    const card = await session.findElement(cardSelector);
    await (await session.findElement(`${cardSelector} [data-testid=batch-open]`)).click();
    await sleep(1500);
    const said = await card.getText();
    assert.ok(!/Launcher|ExitStatus/.test(said), `no raw launcher error on the card: ${said}`);
    if (/No file manager answered/.test(said)) {
      assert.ok(said.includes(homes[0]), `the message names the folder to open by hand: ${said}`);
      await session.takeScreenshot(resolve(SHOTS, "20-open-folder-without-file-manager.png"));
    }
  },
  240_000,
);

/** Adds the demo's account of `provider` in one click from the account menu; the account then active. */
async function addDemoAccount(provider, name) {
  const dialog = "[data-testid=account-dialog]";
  await openAccountMenu();
  await (await session.findElement("[data-testid=account-menu] [data-testid=add-account]")).click();
  await waitFor(async () => (await count(dialog)) > 0, { message: "the add-account form" });
  await (await session.findElement(`${dialog} [data-testid=archive-choice][data-provider=${provider}]`)).click();
  const demo = await waitFor(async () => (await session.findElements(`${dialog} [data-testid=demo-sign-in][data-provider=${provider}]`))[0], {
    message: `the demo ${name}'s one-click sign-in`,
  });
  await demo.click();
  await waitShowingErrors(async () => (await count(dialog)) === 0, { timeout: 30_000, message: `the demo ${name} to sign in` });
  return activeAccount();
}

/** The demo UP42 project's job that succeeded, with three tasks and quicklooks (jobfetch_sim::up42::SUCCEEDED_JOB_ID). */
const UP42_JOB = "bd9c66b3-ad3c-4d6d-9a3d-1fa7bc8960a9";
/** The demo UP42 project (jobfetch_sim::up42::DEMO_PROJECT_ID). */
const UP42_PROJECT = "bdd640fb-0667-4ad1-9c80-317fa3b1799d";

step(
  "adds the demo's UP42 project, draws a job's scenes on the map beside their quicklooks, and downloads one task's results unpacked",
  async () => {
    const up42 = await addDemoAccount("up42", "UP42 project");
    assert.match(up42.id, /^up42:project-/, `the active account is a UP42 project (${up42.id})`);
    await waitShowingErrors(async () => (await count(`[data-testid=job-row][data-job-id="${UP42_JOB}"]`)) > 0, {
      timeout: 30_000,
      message: "the UP42 project's jobs",
    });

    // The job's scenes on the map, and their quicklooks beside it, with pictures.
    await openJob(UP42_JOB);
    // The transfers panel is open from the downloads before; close it to give the map the window.
    if ((await count(TRANSFERS_PANEL)) > 0) await (await session.findElement("[data-testid=transfers-toggle]")).click();
    await (await session.findElement("[data-testid=view-map]")).click();
    await waitShowingErrors(
      async () =>
        (await count("[data-testid=scenes-map] [data-testid=footprint]")) >= 2 &&
        (await session.executeScript(
          `const pictures = [...document.querySelectorAll("[data-testid=quicklook] img")];
           return pictures.length >= 2 && pictures.every((img) => img.complete && img.naturalWidth > 0);`,
        )),
      { timeout: 60_000, message: "the footprints on the map and their quicklooks' pictures" },
    );
    // A click on a footprint ticks its quicklook.
    const [footprint] = await session.findElements("[data-testid=scenes-map] [data-testid=footprint]");
    const id = await footprint.getAttribute("data-footprint");
    await footprint.click();
    await waitFor(
      async () => (await session.executeScript(`return [...document.querySelectorAll("[data-testid=quicklook][aria-pressed=true]")].length;`)) === 1,
      { message: `footprint ${id}'s quicklook to be ticked` },
    );
    await session.executeScript(`document.querySelector("[data-testid=scenes-map]").scrollIntoView({ block: "start" });`);
    await sleep(800);
    await session.takeScreenshot(resolve(SHOTS, "21-up42-map.png"));

    // One task, from the list: its results, footprints, quicklooks and log into project_<p>/job_<j>/task_<t>/.
    await (await session.findElement("[data-testid=view-list]")).click();
    const task = await waitShowingErrors(
      async () => (await session.findElements('[data-testid=tree-checkbox][data-path^="task_"]'))[0],
      { message: "the job's task folders in the list" },
    );
    const taskFolder = await task.getAttribute("data-path");
    await task.click();
    const folder = await downloadFolder();
    await (await session.findElement("[data-testid=unpack-archives]")).click();
    await (await session.findElement("[data-testid=download-selected]")).click();
    const batchId = await waitShowingErrors(
      async () => {
        const [current] = await session.findElements(`${TRANSFERS_PANEL} [data-testid=batch][aria-current=true]`);
        return current && (await current.getAttribute("data-batch-id"));
      },
      { timeout: 30_000, message: "the UP42 batch in the transfers panel" },
    );
    await waitShowingErrors(async () => (await batchProgress(batchId)).state === "done", {
      timeout: 120_000,
      interval: 500,
      message: "the UP42 batch to be done",
    });
    const card = `${TRANSFERS_PANEL} [data-testid=batch][data-batch-id="${batchId}"] [data-testid=batch-unpack]`;
    const unpackLine = async () => ((await session.findElements(card))[0] ? (await (await session.findElement(card)).getText()).trim() : "");
    await waitShowingErrors(async () => /^Unpacked \d+ files? from 1 archive/.test(await unpackLine()), {
      timeout: 60_000,
      message: "the batch to say its archive was unpacked",
    });
    const home = resolve(folder, `project_${UP42_PROJECT}`, `job_${UP42_JOB}`, taskFolder);
    const got = await filesIn(home);
    assert.ok(got.includes("results.tar.gz") && got.includes("data.json"), `the task's results and footprints in ${home} (${got.join(", ")})`);
    assert.ok(got.some((path) => path.endsWith(".tif")), `the scenes unpacked from results.tar.gz in ${home} (${got.join(", ")})`);
    assert.ok(!got.some((path) => path.startsWith("output/")), `unpacked without UP42's output/ folder (${got.join(", ")})`);
    await sleep(600);
    await session.takeScreenshot(resolve(SHOTS, "22-up42-download.png"));
  },
  180_000,
);

/** The demo JDMA batch that is on storage (jobfetch_sim::jdma::DEMO_BATCH_ID), as a job. */
const JDMA_BATCH = "batch-103";

step(
  "adds the demo's JDMA, brings one archive of a batch back from tape, follows its stages, and copies its files here",
  async () => {
    const jdma = await addDemoAccount("jdma", "JDMA user");
    assert.match(jdma.id, /^jdma:/, `the active account is a JDMA one (${jdma.id})`);
    await waitShowingErrors(async () => (await count(`[data-testid=job-row][data-job-id="${JDMA_BATCH}"]`)) > 0, {
      timeout: 30_000,
      message: "the JDMA user's batches and requests",
    });
    if ((await count(TRANSFERS_PANEL)) > 0) await (await session.findElement("[data-testid=transfers-toggle]")).click();

    // A batch on tape offers to bring its files back and to delete it, not to download it.
    await openJob(JDMA_BATCH);
    await waitShowingErrors(async () => (await count("[data-testid=retrieve-all]")) > 0, { timeout: 30_000, message: "the batch's retrieval buttons" });
    assert.equal(await count("[data-testid=download-all]"), 0, "a batch on tape is not downloaded directly");
    assert.equal(await count("[data-testid=delete-job]"), 1, "a batch on tape can be deleted");

    // Delete asks first, with "Keep it" focused; keep it.
    await (await session.findElement("[data-testid=delete-job]")).click();
    await waitFor(async () => (await count("[data-testid=delete-dialog]")) > 0, { message: "the delete question" });
    await (await session.findElement("[data-testid=delete-cancel]")).click();
    await waitFor(async () => (await count("[data-testid=delete-dialog]")) === 0, { message: "the delete question to close" });

    // Tick one archive's folder and bring only it back, into the target JDMA suggests, copied here after.
    const archive = await waitShowingErrors(
      async () => (await session.findElements('[data-testid=tree-checkbox][data-path^="archive_"]'))[0],
      { message: "the batch's archive folders in the tree" },
    );
    const archiveFolder = await archive.getAttribute("data-path");
    await archive.click();
    await (await session.findElement("[data-testid=retrieve-selected]")).click();
    const valueOf = (testid, property) => session.executeScript(`return document.querySelector("[data-testid=${testid}]")?.${property};`);
    await waitFor(async () => /_get$/.test(await valueOf("retrieve-target", "value")), { message: "the suggested GET target" });
    assert.equal(await valueOf("retrieve-copy", "checked"), true, "copying here is the default");
    await session.takeScreenshot(resolve(SHOTS, "23-jdma-retrieve.png"));
    const before = new Set(await session.executeScript(`return [...document.querySelectorAll("[data-testid=job-row]")].map((row) => row.dataset.jobId);`));
    await (await session.findElement("[data-testid=retrieve-confirm]")).click();

    // The GET is selected and its stages move on their own until it has completed.
    const request = await waitShowingErrors(
      async () => {
        const [row] = await session.findElements("[data-testid=job-row][aria-current=true]");
        const id = row && (await row.getAttribute("data-job-id"));
        return id && id.startsWith("request-") && !before.has(id) ? id : null;
      },
      { timeout: 30_000, message: "the new GET request to be selected" },
    );
    await waitShowingErrors(async () => (await count("[data-testid=stage-timeline] [data-testid=stage-step]")) >= 3, {
      timeout: 30_000,
      message: `the stages of ${request}`,
    });
    await session.takeScreenshot(resolve(SHOTS, "24-jdma-stages.png"));
    await waitShowingErrors(async () => (await (await session.findElement("[data-testid=stage-timeline]")).getAttribute("data-ended")) === "true", {
      timeout: 120_000,
      interval: 500,
      message: `${request} to complete`,
    });

    // Once back, its files are copied here by themselves, checked against JDMA's digests.
    const folder = await downloadFolder();
    if ((await count(TRANSFERS_PANEL)) === 0) await (await session.findElement("[data-testid=transfers-toggle]")).click();
    const batchId = await waitShowingErrors(
      async () => {
        const [card] = await session.findElements(`${TRANSFERS_PANEL} [data-testid=batch][data-job-id="${request}"]`);
        return card && (await card.getAttribute("data-batch-id"));
      },
      { timeout: 60_000, message: `the copy of ${request} in the transfers panel` },
    );
    await waitShowingErrors(async () => (await batchProgress(batchId)).state === "done", {
      timeout: 120_000,
      interval: 500,
      message: `the copy of ${request} to be done`,
    });
    const got = await filesIn(folder);
    assert.ok(
      got.some((path) => path.includes(archiveFolder + "/")),
      `the files of ${archiveFolder} are in ${folder} (${got.slice(0, 8).join(", ")})`,
    );
    await sleep(600);
    await session.takeScreenshot(resolve(SHOTS, "25-jdma-copied.png"));
  },
  240_000,
);
