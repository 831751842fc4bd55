// What the end-to-end tests share: tauri-driver started and stopped, the app binary and the simulator next to it,
// steps that save a screenshot when they fail, and waits that say what the app's error banners show.

import { spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { isReady, waitFor } from "./webdriver.mjs";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const SHOTS = resolve(REPO_ROOT, "target/e2e");
export const DRIVER_URL = "http://127.0.0.1:4444";

/** The app binary under test (JOBFETCH_APP), checked to exist. */
export function appBinary() {
  const application = process.env.JOBFETCH_APP;
  assert.ok(application, "Set JOBFETCH_APP to the built debug binary, e.g. JOBFETCH_APP=target/debug/jobfetch-app");
  const binary = resolve(REPO_ROOT, application);
  assert.ok(existsSync(binary), `JOBFETCH_APP points to ${binary}, which does not exist: build the app first`);
  return binary;
}

/** tauri-driver (TAURI_DRIVER or on PATH), started with `env` added to this process's: the app it starts inherits it. */
/**
 * What the app needs to be driven through WebKitWebDriver. Without a GPU the app turns WebKitGTK's compositing
 * off (src-tauri/src/rendering.rs); WebKitWebDriver then, now and again, never answers a command whose keys or
 * clicks the page did take (seen: typing into the MAST search form), so a test would hang. Keys and clicks from
 * the X server work in that mode; the package test and `make bench` run the app as users get it.
 */
const UNDER_WEBDRIVER = { WEBKIT_DISABLE_COMPOSITING_MODE: "0" };

export class Driver {
  static async start(env) {
    if (await isReady(DRIVER_URL)) {
      throw new Error(`Something already answers at ${DRIVER_URL}: stop the other WebDriver server first.`);
    }
    const program = process.env.TAURI_DRIVER || "tauri-driver";
    const child = spawn(program, [], { env: { ...process.env, ...UNDER_WEBDRIVER, ...env }, stdio: ["ignore", "inherit", "inherit"] });
    const driver = new Driver(child, program);
    await waitFor(async () => driver.exitReason ?? (await isReady(DRIVER_URL)), {
      timeout: 30_000,
      message: `tauri-driver to answer at ${DRIVER_URL}/status`,
    });
    if (driver.exitReason) throw new Error(driver.exitReason);
    return driver;
  }

  constructor(child, program) {
    this.child = child;
    this.exitReason = null;
    this.exited = new Promise((settle) => {
      child.once("exit", (code, signal) => settle(`tauri-driver exited (code ${code}, signal ${signal})`));
      child.once("error", (error) => settle(`could not start ${program}: ${error.message}`));
    });
    this.exited.then((reason) => (this.exitReason = reason));
  }

  async stop() {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timedOut = new Promise((settle) => setTimeout(() => settle("timeout"), 5_000).unref());
    if ((await Promise.race([this.exited, timedOut])) === "timeout") child.kill("SIGKILL");
  }
}

/**
 * A test step that saves target/e2e/failure.png when it fails, to show what the window looked like;
 * `currentSession` gives the session of the moment (or null).
 */
export function stepper(currentSession) {
  return (name, body, timeout = 120_000) =>
    test(name, { timeout }, async () => {
      try {
        await body();
      } catch (error) {
        const session = currentSession();
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

/** The number of elements `selector` finds. */
export async function countIn(session, selector) {
  return (await session.findElements(selector)).length;
}

/** The texts of the error banners on screen, to explain a wait that timed out. */
export async function shownErrors(session) {
  const banners = await session.findElements("[data-testid=error-banner]");
  return Promise.all(banners.map((banner) => banner.getText()));
}

/** Like waitFor, but a timeout also says what the app shows in its error banners. */
export async function waitShowingErrors(session, predicate, options) {
  try {
    return await waitFor(predicate, options);
  } catch (error) {
    const shown = await shownErrors(session).catch(() => []);
    throw shown.length ? new Error(`${error.message}; the app shows: ${shown.join(" | ")}`) : error;
  }
}

/**
 * Starts a simulator (jobfetch-sim, next to the app binary unless JOBFETCH_SIM says where) on a free port with
 * `args`, and reads where it listens and its demo login from what it prints: either one JSON object on the first
 * line, `{"desaccess":{"api","files","username","password","database"}, ...}`, or the lines `desaccess api: URL`
 * and `demo login: USER / PASSWORD (database DB)`. Resolves with the DESaccess facts, the whole description
 * (`described`, when it printed one) and the child process (`child`).
 */
export async function startSim(args = []) {
  const program = process.env.JOBFETCH_SIM
    ? resolve(REPO_ROOT, process.env.JOBFETCH_SIM)
    : resolve(dirname(appBinary()), "jobfetch-sim");
  assert.ok(existsSync(program), `the simulator ${program} exists (build it, or set JOBFETCH_SIM)`);
  const child = spawn(program, ["--port", "0", ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const found = {};
  let described = null;
  const lines = createInterface({ input: child.stdout });
  const ready = new Promise((settle, fail) => {
    child.once("exit", (code, signal) => fail(new Error(`${program} exited (code ${code}, signal ${signal}) before saying where it listens`)));
    child.once("error", (error) => fail(new Error(`could not start ${program}: ${error.message}`)));
    lines.on("line", (line) => {
      const text = line.trim();
      if (text.startsWith("{")) {
        try {
          described = JSON.parse(text);
          const desaccess = described.desaccess ?? {};
          for (const key of ["api", "files", "username", "password", "database"]) if (desaccess[key]) found[key] = desaccess[key];
        } catch {
          // Not the JSON line: the text lines below may still tell.
        }
      }
      const api = /^desaccess api:\s*(\S+)/.exec(text);
      if (api) found.api = api[1];
      const login = /^demo login:\s*(\S+)\s*\/\s*(\S+)(?:\s*\(database\s+([^)\s]+)\))?/.exec(text);
      if (login) [found.username, found.password, found.database] = [login[1], login[2], login[3] ?? found.database];
      if (found.api && found.username && found.password) settle({ ...found, database: found.database ?? "desdr" });
    });
  });
  const timeout = new Promise((_, fail) => setTimeout(() => fail(new Error(`${program} did not say where it listens within 20 s`)), 20_000).unref());
  let sim;
  try {
    sim = await Promise.race([ready, timeout]);
  } catch (error) {
    child.kill("SIGTERM");
    throw error;
  }
  lines.removeAllListeners("line");
  // Keep draining its output so it never blocks on a full pipe.
  child.stdout.resume();
  return { ...sim, described, child, origin: new URL(sim.api).origin, port: new URL(sim.api).port };
}

/** Stops a simulator startSim started (if it still runs). */
export function stopSim(sim) {
  const child = sim?.child;
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
}

/**
 * Ends a test run, whatever failed: the WebDriver session (which closes the app), tauri-driver, then `cleanUp`,
 * then the folders (removed with retries: the exiting webview may still be writing into them).
 */
export async function endRun(session, driver, folders, cleanUp = () => {}) {
  try {
    if (session) await session.deleteSession();
  } catch (error) {
    console.error(`Could not end the WebDriver session: ${error.message}`);
  } finally {
    await driver?.stop();
    cleanUp();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
}
