// End-to-end test of the real Jobfetch window on its demo archive, driven over WebDriver through tauri-driver.
//
// Needs: the debug app binary (JOBFETCH_APP), tauri-driver (TAURI_DRIVER or on PATH), WebKitWebDriver, and a display
// (run under xvfb-run on a headless machine). The app must start in demo mode: JOBFETCH_DEMO=1 in tauri-driver's
// environment, which WebKitWebDriver and the app inherit. This script sets it for the tauri-driver it spawns unless
// the runner already set JOBFETCH_DEMO, and likewise JOBFETCH_DEMO_SLOW=1 so the demo archive serves files slowly
// enough to catch a download running. Screenshots go to target/e2e/ under the repository root.
//
//   JOBFETCH_APP=target/debug/jobfetch-app xvfb-run -a node tests/e2e/app.test.mjs

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Session, isReady, waitFor } from "./webdriver.mjs";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SHOTS = resolve(REPO_ROOT, "target/e2e");
const DRIVER_URL = "http://127.0.0.1:4444";
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
let driverExit;
let session;

/** Starts tauri-driver and waits until it (and the WebKitWebDriver behind it) answers. */
async function startDriver() {
  if (await isReady(DRIVER_URL)) {
    throw new Error(`Something already answers at ${DRIVER_URL}: stop the other WebDriver server first.`);
  }
  const program = process.env.TAURI_DRIVER || "tauri-driver";
  driver = spawn(program, [], {
    env: {
      ...process.env,
      JOBFETCH_DEMO: process.env.JOBFETCH_DEMO ?? "1",
      JOBFETCH_DEMO_SLOW: process.env.JOBFETCH_DEMO_SLOW ?? "1",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  driverExit = new Promise((settle) => {
    driver.once("exit", (code, signal) => settle(`tauri-driver exited (code ${code}, signal ${signal})`));
    driver.once("error", (error) => settle(`could not start ${program}: ${error.message}`));
  });
  let exitReason = null;
  driverExit.then((reason) => (exitReason = reason));
  await waitFor(async () => exitReason ?? (await isReady(DRIVER_URL)), {
    timeout: 30_000,
    message: `tauri-driver to answer at ${DRIVER_URL}/status`,
  });
  if (exitReason) throw new Error(exitReason);
}

async function stopDriver() {
  if (!driver || driver.exitCode !== null || driver.signalCode !== null) return;
  driver.kill("SIGTERM");
  const timedOut = new Promise((settle) => setTimeout(() => settle("timeout"), 5_000).unref());
  if ((await Promise.race([driverExit, timedOut])) === "timeout") driver.kill("SIGKILL");
}

/** A test step that saves target/e2e/failure.png when it fails, to show what the window looked like. */
function step(name, body, timeout = 120_000) {
  test(name, { timeout }, async () => {
    try {
      await body();
    } catch (error) {
      if (session) {
        await session
          .takeScreenshot(resolve(SHOTS, "failure.png"))
          .then((file) => console.error(`Saved ${file}`))
          .catch((shotError) => console.error(`Could not save a failure screenshot: ${shotError.message}`));
      }
      throw error;
    }
  });
}

async function count(selector) {
  return (await session.findElements(selector)).length;
}

/** The texts of the error banners on screen, to explain a wait that timed out. */
async function shownErrors() {
  const banners = await session.findElements("[data-testid=error-banner]");
  return Promise.all(banners.map((banner) => banner.getText()));
}

/** Like waitFor, but a timeout also says what the app shows in its error banners. */
async function waitShowingErrors(predicate, options) {
  try {
    return await waitFor(predicate, options);
  } catch (error) {
    const shown = await shownErrors().catch(() => []);
    throw shown.length ? new Error(`${error.message}; the app shows: ${shown.join(" | ")}`) : error;
  }
}

before(async () => {
  const application = process.env.JOBFETCH_APP;
  assert.ok(application, "Set JOBFETCH_APP to the built debug binary, e.g. JOBFETCH_APP=target/debug/jobfetch-app");
  const binary = resolve(REPO_ROOT, application);
  assert.ok(existsSync(binary), `JOBFETCH_APP points to ${binary}, which does not exist: build the app first`);
  await startDriver();
  session = await Session.create(DRIVER_URL, binary);
});

after(async () => {
  try {
    if (session) await session.deleteSession();
  } catch (error) {
    console.error(`Could not end the WebDriver session: ${error.message}`);
  } finally {
    await stopDriver();
  }
});

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
