// Test setup: jest-dom matchers for Vitest, what jsdom lacks (scrolling into view, pointer capture, object URLs, sizes), and mocks reset after every test.
import "@testing-library/jest-dom/vitest";
import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup } from "@testing-library/svelte";
import { afterEach, vi } from "vitest";

Element.prototype.scrollIntoView = vi.fn();
Element.prototype.setPointerCapture = vi.fn();
Element.prototype.releasePointerCapture = vi.fn();
URL.createObjectURL = vi.fn(() => `blob:thumb-${Math.random().toString(36).slice(2)}`);
URL.revokeObjectURL = vi.fn();

/** The size every observed element reports: jsdom lays nothing out. */
export const OBSERVED_SIZE = { width: 1000, height: 800 };

globalThis.ResizeObserver = class {
  #callback: ResizeObserverCallback;
  constructor(callback: ResizeObserverCallback) {
    this.#callback = callback;
  }
  observe(target: Element) {
    const entry = { target, contentRect: { ...OBSERVED_SIZE, top: 0, left: 0 } } as unknown as ResizeObserverEntry;
    this.#callback([entry], this);
  }
  unobserve() {}
  disconnect() {}
};

// Components are unmounted while the IPC mocks still stand, so what they undo on the way out (event
// listeners) reaches the mocked backend.
afterEach(() => {
  cleanup();
  clearMocks();
  vi.clearAllMocks();
});
