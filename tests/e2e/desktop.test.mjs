// End-to-end test of Jobfetch as a desktop app on a fresh profile (not the demo mode): the welcome screen, an
// account added from it on a simulator, the download folder chosen with the folder dialog and kept across a
// restart with the account and the job, one instance at a time (a second launch hands its link, or a MAST
// download script, to the first window and exits), and a running job that finishes while the test watches, downloaded by itself with
// "Download when finished", with the desktop notifications it sends caught on the session bus.
//
// Runs inside the D-Bus session of scripts/with-keyring.sh (the keyring, the single-instance name and the
// notification recorder all live on it), under Xvfb:
//
//   JOBFETCH_APP=target/debug/jobfetch-app scripts/with-keyring.sh xvfb-run -a node tests/e2e/desktop.test.mjs
//
// The native folder dialog cannot be clicked through WebDriver: its answer is injected at the plugin's boundary
// with JOBFETCH_TEST_CHOOSE_FOLDER (src-tauri/src/folders.rs).

import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { after, before } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { DRIVER_URL, Driver, SHOTS, appBinary, countIn, endRun, startSim, stepper, stopSim, waitShowingErrors as waitShowing } from "./harness.mjs";
import { Session, waitFor } from "./webdriver.mjs";

const PROFILE = mkdtempSync(resolve(tmpdir(), "jobfetch-e2e-desktop-"));
/** What the app sees of the desktop: its own data and config folders, a default download folder, the folder "chosen" in the dialog. */
const APP_ENV = {
  XDG_DATA_HOME: resolve(PROFILE, "data"),
  XDG_CONFIG_HOME: resolve(PROFILE, "config"),
  JOBFETCH_DOWNLOAD_DIR: resolve(PROFILE, "Downloads/Jobfetch"),
  JOBFETCH_TEST_CHOOSE_FOLDER: resolve(PROFILE, "Science/des-cutouts"),
  JOBFETCH_DEMO: "",
};
const JOB_DETAIL = "[data-testid=job-detail]";
/** Finds and closes the app's window on the X display as a desktop would (scripts/x11_window.py). */
const X11_WINDOW = resolve(dirname(fileURLToPath(import.meta.url)), "../../scripts/x11_window.py");
/** The demo's job that runs until the test ends it (jobfetch_sim::demo::LIVE_CUTOUT_JOB_ID, "transient-hosts"). */
const LIVE_JOB = "d4f6a8c0e2b44f1a9c7e5b3d1f0a8c27";

/** The desktop notifications the app sent, as the recorder on the session bus saw them. */
const notifications = [];
let recorder;
/** The status-indicator host on the session bus (tray_watcher.py), and the status icons registered with it. */
let tray;
const trayIcons = [];
/** Answers of tray_watcher.py not yet taken by trayAsk. */
const trayAnswers = [];

let driver;
let session;
let sim;
/** The job opened before the restart. */
let openedJob;

const step = stepper(() => session);
const count = (selector) => countIn(session, selector);
const waitShowingErrors = (predicate, options) => waitShowing(session, predicate, options);

before(async () => {
  for (const dir of [APP_ENV.XDG_DATA_HOME, APP_ENV.XDG_CONFIG_HOME]) mkdirSync(dir, { recursive: true });
  recorder = await startBusService("notifications.py", (message) => notifications.push(message));
  tray = await startBusService("tray_watcher.py", (message) => {
    if (message.registered) trayIcons.push(message.registered);
    else trayAnswers.push(message);
  });
  // The live jobs end only when the test says (PUT /_sim/jobs/<id>/end), not on their own clock.
  sim = await startSim(["--live-jobs-end-after", "3600"]);
  driver = await Driver.start(APP_ENV);
  session = await Session.create(DRIVER_URL, appBinary());
});

after(() =>
  endRun(session, driver, [PROFILE], () => {
    stopSim(sim);
    recorder?.stdin.end();
    tray?.stdin.end();
  }),
);

/**
 * Starts a stand-in for a desktop service on the session bus (notifications.py records every notification,
 * tray_watcher.py is a panel's status-indicator host) with Debian's Python, which has its D-Bus bindings, and
 * resolves once it owns its name; each JSON line it prints goes to `heard`.
 */
async function startBusService(name, heard) {
  const script = resolve(dirname(fileURLToPath(import.meta.url)), name);
  const child = spawn("/usr/bin/python3", [script], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  await new Promise((settle, fail) => {
    child.once("exit", (code) => fail(new Error(`${name} exited (code ${code}): install python3-dbus and python3-gi`)));
    lines.on("line", (line) => {
      if (line === "ready") settle();
      else if (line.startsWith("{")) heard(JSON.parse(line));
    });
  });
  return child;
}

/** Sends `command` to tray_watcher.py ("menu", "click <label>") and resolves with its answer. */
async function trayAsk(command) {
  trayAnswers.length = 0;
  tray.stdin.write(`${command}\n`);
  const answer = await waitFor(() => trayAnswers.shift(), { timeout: 10_000, message: `tray_watcher.py to answer ${command}` });
  assert.ok(!answer.error, `the tray answers ${command}: ${answer.error}`);
  return answer;
}

/** The labels of the tray icon's menu, as a panel shows them. */
async function trayMenu() {
  return (await trayAsk("menu")).menu.map((entry) => entry.label);
}

/** True while a Jobfetch owns its single-instance name on this D-Bus session. */
function jobfetchRuns() {
  const reply = execFileSync("dbus-send", [
    "--session",
    "--print-reply",
    "--dest=org.freedesktop.DBus",
    "/org/freedesktop/DBus",
    "org.freedesktop.DBus.NameHasOwner",
    "string:org.jobfetch.desktop.SingleInstance",
  ]).toString();
  return /boolean true/.test(reply);
}

/**
 * Launches the app once more with `args`, as a desktop would while it runs: the launch must hand over to the
 * running app and exit by itself, cleanly, within 20 s, instead of opening a second window.
 */
async function launchAgain(args) {
  const launch = spawn(appBinary(), args, { env: { ...process.env, ...APP_ENV }, stdio: ["ignore", "ignore", "pipe"] });
  let said = "";
  launch.stderr.on("data", (chunk) => (said += chunk));
  const exit = await Promise.race([
    new Promise((settle) => launch.once("exit", (code, signal) => settle({ code, signal }))),
    new Promise((settle) => setTimeout(() => settle(null), 20_000).unref()),
  ]);
  if (!exit) launch.kill("SIGKILL");
  assert.ok(exit, `the launch exits by itself within 20 s instead of opening a second window: ${said}`);
  assert.equal(exit.code, 0, `the launch exits cleanly (${JSON.stringify(exit)}): ${said}`);
}

/** Runs `python3 scripts/x11_window.py ...args`: finds, waits for or closes the app's window on the X display. */
function x11(...args) {
  return execFileSync("python3", [X11_WINDOW, ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

/** True while the app's window is on screen. */
function shown() {
  try {
    x11("wait", "Jobfetch", "--timeout", "1");
    return true;
  } catch {
    return false;
  }
}

/**
 * Closes the window with the desktop's close button (WM_DELETE_WINDOW) while a download runs, checks the app
 * asks first, answers "keep downloading" and waits for the window to hide. `shot` names a screenshot of the question.
 */
async function closeAndKeepDownloading({ shot }) {
  // Sent again every 3 s until the question shows: under Xvfb (no window manager) about one close message in
  // four was seen to go unanswered, cause not found yet (noted on issue 10).
  let closes = 0;
  await waitFor(
    async () => {
      if ((await count("[data-testid=close-dialog]")) > 0) return true;
      x11("close", "Jobfetch");
      closes += 1;
      return false;
    },
    { timeout: 15_000, interval: 3_000, message: "the question about the running download" },
  );
  if (closes > 1) console.log(`the close message was sent ${closes} times before the app asked`);
  assert.match(await textOf("[data-testid=close-dialog]"), /1 download still running/);
  if (shot) {
    await sleep(300);
    await session.takeScreenshot(resolve(SHOTS, shot));
  }
  // Clicked from the page a moment after this call returns: WebKitWebDriver answers a click only once the
  // window has painted again, and this click hides the window, so a WebDriver click would never be answered.
  await session.executeScript("setTimeout(() => document.querySelector('[data-testid=close-keep]').click(), 100);");
  await waitFor(async () => !shown(), { timeout: 10_000, message: "the window to hide" });
}

/** The text of the first element `selector` finds, trimmed. */
async function textOf(selector) {
  return (await (await session.findElement(selector)).getText()).trim();
}

/** Opens the first successful job of the list and waits for its download bar; resolves with its id. */
async function openFirstSuccessfulJob() {
  const row = await waitShowingErrors(async () => (await session.findElements("[data-testid=job-row][data-status=success]"))[0], {
    timeout: 60_000,
    message: "a successful job in the list",
  });
  const id = await row.getAttribute("data-job-id");
  await row.click();
  await waitShowingErrors(async () => (await count(`${JOB_DETAIL}[data-job-id="${id}"] [data-testid=download-folder]`)) > 0, {
    timeout: 30_000,
    message: `job ${id}'s details and download folder`,
  });
  return id;
}

step("opens on the welcome screen on a fresh profile, offering every archive and the demo", async () => {
  await waitShowingErrors(async () => (await count("[data-testid=welcome]")) > 0, { timeout: 60_000, message: "the welcome screen" });
  const archives = await session.executeScript(
    `return [...document.querySelectorAll("[data-testid=welcome-archive]")].map((button) => button.dataset.provider);`,
  );
  const { providers } = await session.executeScript("return window.__TAURI_INTERNALS__.invoke('startup_state');");
  assert.deepEqual(archives, providers.map((provider) => provider.id), "one button per archive Jobfetch knows");
  assert.ok(archives.includes("desaccess") && archives.includes("mast"), `DESaccess and MAST are offered (${archives})`);
  assert.equal(await count("[data-testid=open-demo]"), 1, "the demo archive is offered");
  await session.takeScreenshot(resolve(SHOTS, "30-welcome.png"));
});

step("adds a DESaccess account from the welcome screen and lists its jobs", async () => {
  await (await session.findElement("[data-testid=welcome-archive][data-provider=desaccess]")).click();
  const form = "[data-testid=sign-in-form][data-provider=desaccess]";
  await waitFor(async () => (await count(form)) > 0, { message: "the DESaccess sign-in form" });
  for (const [name, value] of [
    ["api_base", sim.api],
    ["username", sim.username],
    ["password", sim.password],
  ]) {
    const input = await session.findElement(`${form} input[name="${name}"]`);
    await input.clear();
    await input.sendKeys(value);
  }
  await session.executeScript(
    `const select = document.querySelector(arguments[0]);
     if (select && select.value !== arguments[1]) { select.value = arguments[1]; select.dispatchEvent(new Event("change", { bubbles: true })); }`,
    [`${form} select[name="database"]`, sim.database],
  );
  await (await session.findElement(`${form} [data-testid=sign-in-submit]`)).click();
  await waitShowingErrors(async () => (await count("[data-testid=job-row]")) >= 5, { timeout: 60_000, message: "the new account's jobs" });
});

step("chooses the download folder with the folder dialog", async () => {
  openedJob = await openFirstSuccessfulJob();
  assert.equal(await textOf("[data-testid=download-folder]"), APP_ENV.JOBFETCH_DOWNLOAD_DIR, "downloads go to Downloads/Jobfetch at first");
  await (await session.findElement("[data-testid=choose-folder]")).click();
  await waitShowingErrors(async () => (await textOf("[data-testid=download-folder]")) === APP_ENV.JOBFETCH_TEST_CHOOSE_FOLDER, {
    message: "the chosen folder to show as the download folder",
  });
  await session.takeScreenshot(resolve(SHOTS, "31-folder-chosen.png"));
});

step("starts again with the account, the job, the folder and the window size of last time", async () => {
  assert.ok(jobfetchRuns(), "the running app owns the single-instance name on the session bus");
  const size = { width: 1040, height: 720 };
  await session.call("POST", "/window/rect", size);
  await waitFor(async () => (await session.call("GET", "/window/rect")).width === size.width, { message: "the window to take its new size" });
  // The app keeps the size a second after the window stops changing, even if it never exits cleanly
  // (ending the WebDriver session kills it).
  const kept = resolve(APP_ENV.XDG_CONFIG_HOME, "org.jobfetch.desktop/.window-state.json");
  await waitFor(async () => existsSync(kept) && readFileSync(kept, "utf8").includes(`"width": ${size.width}`), {
    timeout: 10_000,
    message: `the window's new size in ${kept} (${existsSync(kept) ? readFileSync(kept, "utf8") : "no file"})`,
  });
  await session.deleteSession();
  session = null;
  await waitFor(async () => !jobfetchRuns(), { timeout: 20_000, message: "the first app to end" });
  session = await Session.create(DRIVER_URL, appBinary());
  await waitShowingErrors(async () => (await count(`${JOB_DETAIL}[data-job-id="${openedJob}"] [data-testid=download-folder]`)) > 0, {
    timeout: 60_000,
    message: `job ${openedJob} open again after the restart`,
  });
  assert.equal(await count("[data-testid=welcome]"), 0, "no welcome screen once an account is added");
  const rect = await session.call("GET", "/window/rect");
  assert.deepEqual({ width: rect.width, height: rect.height }, size, "the window opens at the size it was left at");
  assert.equal(await textOf("[data-testid=download-folder]"), APP_ENV.JOBFETCH_TEST_CHOOSE_FOLDER, "the chosen folder is kept");
  await session.takeScreenshot(resolve(SHOTS, "32-restarted.png"));
});

step("a second launch hands its jobfetch:// link to the running window and exits", async () => {
  const rows = await session.findElements("[data-testid=job-row][data-status=success]");
  const ids = await Promise.all(rows.map((row) => row.getAttribute("data-job-id")));
  const other = ids.find((id) => id !== openedJob);
  assert.ok(other, `another successful job to link to (${ids})`);
  const link = `jobfetch://job/desaccess/${other}`;
  await launchAgain([link]);
  await waitShowingErrors(async () => (await count(`${JOB_DETAIL}[data-job-id="${other}"]`)) > 0, {
    timeout: 20_000,
    message: `the first window to open ${link}`,
  });
  assert.equal((await session.getWindowHandles()).length, 1, "still one window");
  await session.takeScreenshot(resolve(SHOTS, "33-second-launch.png"));
});

/** Asks the simulator's MAST (its Mashup API, as the engine does) for one page of `service`'s rows. */
async function mastRows(service, params) {
  const request = JSON.stringify({ service, params, format: "json", pagesize: 500, page: 1 });
  const reply = await fetch(`${sim.described.mast.base}/api/v0/invoke`, { method: "POST", body: new URLSearchParams({ request }) });
  assert.ok(reply.ok, `${service}: HTTP ${reply.status}`);
  const body = await reply.json();
  assert.equal(body.status, "COMPLETE", `${service} answered at once`);
  return body.data;
}

/** A download script for public products of the demo proposal, as MAST's Portal hands it out (Download/bundle.sh). */
async function mastScript() {
  const observations = await mastRows("Mast.Caom.Filtered", {
    columns: "*",
    filters: [{ paramName: "proposal_id", values: [sim.described.mast.proposal] }],
  });
  let chosen = [];
  for (const observation of observations) {
    if (chosen.length > 0) break;
    const products = await mastRows("Mast.Caom.Products", { obsid: observation.obsid });
    chosen = products.filter((product) => product.dataRights === "PUBLIC" && product.productFilename.endsWith(".fits")).slice(0, 3);
  }
  assert.ok(chosen.length > 0, "public FITS products to put in a script");
  const form = new URLSearchParams(chosen.map((product) => ["uri", product.dataURI]));
  const reply = await fetch(`${sim.described.mast.base}/api/v0.1/Download/bundle.sh`, { method: "POST", body: form });
  assert.ok(reply.ok, `bundle.sh: HTTP ${reply.status}`);
  return { text: await reply.text(), files: chosen.map((product) => product.productFilename) };
}

/** Every file below `dir`, by name. */
function fileNamesBelow(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name);
}

step("a second launch hands a MAST download script to the running window, which downloads its files", async () => {
  const script = await mastScript();
  const path = resolve(PROFILE, "MAST_2026-12-02T1200.sh");
  writeFileSync(path, script.text);
  await launchAgain([path]);
  const dialog = "[data-testid=open-file-dialog]";
  await waitShowingErrors(async () => (await count(`${dialog} [data-testid=open-file-download]`)) > 0, {
    timeout: 20_000,
    message: "the first window to ask about the script",
  });
  assert.match(await textOf("[data-testid=open-file-kind]"), new RegExp(`MAST download script from MAST, listing ${script.files.length} files?`));
  const folder = resolve(APP_ENV.JOBFETCH_DOWNLOAD_DIR, "MAST_2026-12-02T1200");
  assert.equal(await textOf("[data-testid=open-file-folder]"), folder, "files no account signs go to the default folder, in the script's own");
  await sleep(600);
  await session.takeScreenshot(resolve(SHOTS, "33-second-launch-script.png"));
  await (await session.findElement(`${dialog} [data-testid=open-file-download]`)).click();
  await waitShowingErrors(async () => script.files.every((name) => fileNamesBelow(folder).includes(name)), {
    timeout: 60_000,
    message: `the script's files in ${folder} (${script.files})`,
  });
  assert.equal(await count(dialog), 0, "the dialog closes once the batch starts");
  assert.ok((await count("[data-testid=transfers-panel]")) > 0, "the batch shows in the transfers panel");
  assert.equal((await session.getWindowHandles()).length, 1, "still one window");
});

step("downloads a running job by itself when it finishes, and says so in desktop notifications", async () => {
  await (await session.findElement(`[data-testid=job-row][data-job-id="${LIVE_JOB}"]`)).click();
  const panel = `${JOB_DETAIL}[data-job-id="${LIVE_JOB}"] [data-testid=wait-panel]`;
  await waitShowingErrors(async () => (await count(panel)) > 0, { message: "the running job's Download when finished" });
  await (await session.findElement(`${panel} [data-testid=download-when-finished]`)).click();
  await waitShowingErrors(async () => (await (await session.findElement(panel)).getAttribute("data-waiting")) === "true", {
    message: "the app to wait for the job",
  });
  await sleep(600);
  await session.takeScreenshot(resolve(SHOTS, "34-download-when-finished.png"));

  // The archive finishes the job a few seconds from now: the app notices by itself and downloads it.
  const ended = await fetch(`${sim.origin}/_sim/jobs/${LIVE_JOB}/end`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ after_secs: 3 }),
  });
  assert.ok(ended.ok, `the simulator ends the job (HTTP ${ended.status}: ${await ended.text()})`);
  const batch = "[data-testid=transfers-panel] [data-testid=batch][aria-current=true]";
  await waitShowingErrors(async () => (await count(`${batch}[data-state=done]`)) > 0, {
    timeout: 90_000,
    message: "the finished job's batch to be done",
  });
  // The list shows the job as it ended, without waiting for its next look at the archive.
  await waitShowingErrors(async () => (await count(`[data-testid=job-row][data-job-id="${LIVE_JOB}"][data-status=success]`)) > 0, {
    timeout: 10_000,
    message: "the job to show as succeeded",
  });
  const folder = resolve(APP_ENV.JOBFETCH_TEST_CHOOSE_FOLDER, `transient-hosts_${LIVE_JOB}`);
  const files = readdirSync(folder, { recursive: true });
  assert.ok(files.some((file) => String(file).endsWith(".fits")), `the job's FITS files are in ${folder} (${files.join(", ")})`);
  await sleep(600);
  await session.takeScreenshot(resolve(SHOTS, "35-finished-and-downloaded.png"));

  await waitFor(() => notifications.some((n) => /^Downloaded transient-hosts/.test(n.summary)), {
    timeout: 20_000,
    message: `a notification that the batch ended (seen: ${JSON.stringify(notifications)})`,
  });
  const finished = notifications.find((n) => n.summary === "transient-hosts finished");
  assert.ok(finished, `a notification that the job finished (seen: ${JSON.stringify(notifications)})`);
  assert.match(finished.body, /Downloading its files into/);
  // notify-rust names the sender after the program, as its icon and its window class are named.
  assert.equal(finished.app, "jobfetch-app", "the notification names the app");
});

step("asks before closing while a download runs, keeps downloading with the window hidden and says so in the tray, and comes back from the tray or on a new launch", async () => {
  // A download slow enough (1.3 MiB at 16 KiB/s) to be running through both closes below.
  await session.executeScript("return window.__TAURI_INTERNALS__.invoke('set_bandwidth_limit', { bytesPerSecond: 16384 });");
  await (await session.findElement(`[data-testid=job-row][data-job-id="${openedJob}"]`)).click();
  const downloadAll = `${JOB_DETAIL}[data-job-id="${openedJob}"] [data-testid=download-all]`;
  await waitShowingErrors(async () => (await count(downloadAll)) > 0 && (await (await session.findElement(downloadAll)).getAttribute("disabled")) === null, {
    timeout: 30_000,
    message: "Download all of the opened job",
  });
  await (await session.findElement(downloadAll)).click();
  const running = "[data-testid=transfers-panel] [data-testid=batch][aria-current=true][data-state=running]";
  await waitShowingErrors(async () => (await count(running)) > 0, { timeout: 30_000, message: "the batch to run" });

  // The tray icon says what runs, as a panel shows it.
  assert.ok(trayIcons.length > 0, "the app put its icon in the tray");
  let menu = [];
  await waitFor(async () => (menu = await trayMenu()).some((label) => /^1 download running: \d+% of /.test(label)), {
    timeout: 15_000,
    message: `the tray menu to say a download runs (seen: ${JSON.stringify(menu)})`,
  });
  assert.ok(menu.includes("Show Jobfetch") && menu.includes("Quit Jobfetch"), `the tray menu offers the window and quitting: ${JSON.stringify(menu)}`);

  await closeAndKeepDownloading({ shot: "36-close-while-downloading.png" });
  assert.ok(jobfetchRuns(), "the app still runs with its window hidden");
  await waitFor(() => notifications.some((n) => n.summary === "Jobfetch keeps downloading"), {
    message: `a notification that it keeps downloading (seen: ${JSON.stringify(notifications)})`,
  });

  // "Show Jobfetch" in the tray brings the window back.
  await trayAsk("click Show Jobfetch");
  await waitFor(async () => shown(), { timeout: 10_000, message: "the window to show again from the tray" });

  // And so does starting Jobfetch again, once the window is hidden a second time.
  await closeAndKeepDownloading({});
  // Starting Jobfetch again shows the window it hid, with the download still going (or done).
  await launchAgain([]);
  await waitFor(async () => shown(), { timeout: 10_000, message: "the window to show again" });
  const batch = "[data-testid=transfers-panel] [data-testid=batch][aria-current=true]";
  assert.match(await (await session.findElement(batch)).getAttribute("data-state"), /^(running|done)$/, "the download went on");

  const batchId = Number(await (await session.findElement(batch)).getAttribute("data-batch-id"));
  await session.executeScript("return window.__TAURI_INTERNALS__.invoke('cancel_batch', { batchId: arguments[0] });", [batchId]);
  await session.executeScript("return window.__TAURI_INTERNALS__.invoke('set_bandwidth_limit', { bytesPerSecond: null });");
});
