// The demo's scratch folder (its transfer queue and downloads, `jobfetch-demo-*` in the temp folder) is gone
// after the app ends by SIGTERM or Ctrl-C (SIGINT), as after closing its window.
//
// Needs the debug app binary (JOBFETCH_APP) and a display (run under xvfb-run on a headless machine):
//
//   JOBFETCH_APP=target/debug/jobfetch-app xvfb-run -a node tests/e2e/demo_exit.test.mjs

import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const APP = process.env.JOBFETCH_APP && resolve(REPO_ROOT, process.env.JOBFETCH_APP);

/** Polls `check` every 100 ms until it returns something truthy, failing after `ms`. */
async function until(what, ms, check) {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = check();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(100);
  }
}

/** Scratch folders in `dir`. */
function scratches(dir) {
  return readdirSync(dir).filter((name) => name.startsWith("jobfetch-demo-"));
}

for (const signal of ["SIGTERM", "SIGINT"]) {
  test(`${signal} ends the demo and removes its scratch folder`, { timeout: 120_000 }, async () => {
    assert.ok(APP, "set JOBFETCH_APP to the app binary");
    // The app's temp folder, so its scratch folder is the only one there.
    const temp = mkdtempSync(join(tmpdir(), "jobfetch-demo-exit-"));
    try {
      // Its own temporary and config folders: the scratch folder to watch, and the window state it saves.
      const env = { ...process.env, TMPDIR: temp, XDG_CONFIG_HOME: join(temp, "config") };
      const app = spawn(APP, ["--demo"], { env, stdio: ["ignore", "inherit", "inherit"] });
      const exited = new Promise((settle) => app.once("exit", (code, by) => settle({ code, by })));
      try {
        // The queue is made in the scratch folder once the app has set up.
        await until("the app made its scratch folder and queue", 60_000, () =>
          scratches(temp).some((name) => readdirSync(join(temp, name)).includes("data")),
        );
        app.kill(signal);
        const { code, by } = await Promise.race([exited, sleep(30_000, undefined, { ref: false }).then(() => ({ code: "still running" }))]);
        assert.equal(by, null, `the app handles ${signal} rather than dying of it`);
        assert.equal(code, 0, "the app ended cleanly");
        assert.deepEqual(scratches(temp), [], "the scratch folder is gone");
      } finally {
        app.kill("SIGKILL");
      }
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  });
}
