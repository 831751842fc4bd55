// A tiny, dependency-free W3C WebDriver client (Node 20's fetch) for driving the Jobfetch window through tauri-driver.

import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** The web element identifier: the key under which W3C WebDriver returns an element reference. */
export const ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf";

function elementId(ref) {
  const id = ref?.[ELEMENT_KEY];
  if (typeof id !== "string") throw new Error(`not a W3C element reference: ${JSON.stringify(ref)}`);
  return id;
}

/** An error answered by the remote end: `{value: {error, message}}` with a non-2xx status. */
export class WebDriverError extends Error {
  constructor(method, path, status, value) {
    super(`${method} ${path} failed (${status} ${value?.error ?? "unknown error"}): ${value?.message ?? JSON.stringify(value)}`);
    this.name = "WebDriverError";
    this.status = status;
    this.error = value?.error;
  }
}

/** Sends one WebDriver command and returns the `value` of its answer. */
export async function command(baseUrl, method, path, body) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json; charset=utf-8" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let payload;
  try {
    payload = text ? JSON.parse(text) : {};
  } catch {
    throw new WebDriverError(method, path, response.status, { error: "invalid json", message: text.slice(0, 500) });
  }
  if (!response.ok) throw new WebDriverError(method, path, response.status, payload.value);
  return payload.value;
}

/** True when a WebDriver server answers `GET /status` at `baseUrl`. */
export async function isReady(baseUrl) {
  try {
    await command(baseUrl, "GET", "/status");
    return true;
  } catch {
    return false;
  }
}

/**
 * Polls `predicate` until it returns a truthy value, which is returned. Errors thrown by the predicate
 * (an element not there yet, say) count as "not yet"; the last one is reported if time runs out.
 */
export async function waitFor(predicate, { timeout = 10_000, interval = 250, message = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      const result = await predicate();
      if (result) return result;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError ? ` (last error: ${lastError.message})` : "";
      throw new Error(`Timed out after ${timeout} ms waiting for ${message}${cause}`);
    }
    await sleep(interval);
  }
}

/** An element of the page, found by a session. */
export class Element {
  constructor(session, id) {
    this.session = session;
    this.id = id;
  }

  #call(method, path, body) {
    return this.session.call(method, `/element/${this.id}${path}`, body);
  }

  click() {
    return this.#call("POST", "/click", {});
  }

  /** Types `text` into the element (an input), as key presses. */
  sendKeys(text) {
    return this.#call("POST", "/value", { text });
  }

  /** Empties an input. */
  clear() {
    return this.#call("POST", "/clear", {});
  }

  /** The element's rendered text, as a user sees it. */
  getText() {
    return this.#call("GET", "/text");
  }

  /** An attribute's value, or null when the element has no such attribute. */
  getAttribute(name) {
    return this.#call("GET", `/attribute/${encodeURIComponent(name)}`);
  }

  /** Where the element is in the viewport, in CSS pixels: `{x, y, width, height}`. */
  getRect() {
    return this.#call("GET", "/rect");
  }

  /** The W3C reference to this element, for scripts and pointer actions. */
  reference() {
    return { [ELEMENT_KEY]: this.id };
  }
}

/** One WebDriver session: for tauri-driver, one running instance of the app. */
export class Session {
  constructor(baseUrl, id) {
    this.baseUrl = baseUrl;
    this.id = id;
  }

  /**
   * Starts the app at `application` (a path to its binary) through tauri-driver at `baseUrl`.
   * tauri-driver turns `tauri:options` into the native driver's options (WebKitWebDriver on Linux).
   */
  static async create(baseUrl, application) {
    const value = await command(baseUrl, "POST", "/session", {
      capabilities: { alwaysMatch: { "tauri:options": { application } } },
    });
    return new Session(baseUrl, value.sessionId);
  }

  call(method, path, body) {
    return command(this.baseUrl, method, `/session/${this.id}${path}`, body);
  }

  async findElement(selector) {
    const ref = await this.call("POST", "/element", { using: "css selector", value: selector });
    return new Element(this, elementId(ref));
  }

  async findElements(selector) {
    const refs = await this.call("POST", "/elements", { using: "css selector", value: selector });
    return refs.map((ref) => new Element(this, elementId(ref)));
  }

  /** Runs `script` (a function body; `arguments` holds `args`) in the page, awaiting a promise it returns. */
  executeScript(script, args = []) {
    return this.call("POST", "/execute/async", {
      script: `const done = arguments[arguments.length - 1];
        Promise.resolve((function () { ${script} }).apply(null, Array.prototype.slice.call(arguments, 0, -1)))
          .then((value) => done({ value }), (error) => done({ error: String(error && (error.message || JSON.stringify(error))) }));`,
      args,
    }).then((result) => {
      if (result && result.error !== undefined) throw new Error(`script failed: ${result.error}`);
      return result?.value;
    });
  }

  /** Performs W3C input actions (pointer and key sequences); the input state lasts until releaseActions. */
  performActions(actions) {
    return this.call("POST", "/actions", { actions });
  }

  /** Lets go of every pressed key and button. */
  releaseActions() {
    return this.call("DELETE", "/actions");
  }

  /** Saves a PNG screenshot of the window to `file`, creating its folder. */
  async takeScreenshot(file) {
    const base64 = await this.call("GET", "/screenshot");
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, Buffer.from(base64, "base64"));
    return file;
  }

  /** The handles of the app's open windows. */
  getWindowHandles() {
    return this.call("GET", "/window/handles");
  }

  /** Ends the session, which closes the app. */
  deleteSession() {
    return command(this.baseUrl, "DELETE", `/session/${this.id}`);
  }
}
