// End-to-end test of the real Jobfetch window on its demo archive, driven over WebDriver through tauri-driver.
//
// Needs: the debug app binary (JOBFETCH_APP), tauri-driver (TAURI_DRIVER or on PATH), WebKitWebDriver, and a display
// (run under xvfb-run on a headless machine). The app must start in demo mode: JOBFETCH_DEMO=1 in tauri-driver's
// environment, which WebKitWebDriver and the app inherit. This script sets it for the tauri-driver it spawns unless
// the runner already set JOBFETCH_DEMO. Screenshots go to target/e2e/ under the repository root.
//
//   JOBFETCH_APP=target/debug/jobfetch-app xvfb-run -a node tests/e2e/app.test.mjs

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
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
    env: { ...process.env, JOBFETCH_DEMO: process.env.JOBFETCH_DEMO ?? "1" },
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
function step(name, body) {
  test(name, { timeout: 120_000 }, async () => {
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
  await waitFor(async () => (await count("[data-testid=job-row]")) >= 5, {
    timeout: 60_000,
    interval: 500,
    message: "at least 5 jobs in the job list",
  }).catch(async (error) => {
    const banners = await session.findElements("[data-testid=error-banner]");
    const shown = await Promise.all(banners.map((banner) => banner.getText()));
    throw shown.length ? new Error(`${error.message}; the app shows: ${shown.join(" | ")}`) : error;
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
