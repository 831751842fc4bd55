// Test setup: jest-dom matchers for Vitest, what jsdom lacks (scrolling into view), and mocks reset after every test.
import "@testing-library/jest-dom/vitest";
import { clearMocks } from "@tauri-apps/api/mocks";
import { afterEach, vi } from "vitest";

Element.prototype.scrollIntoView = vi.fn();

afterEach(() => {
  clearMocks();
  vi.clearAllMocks();
});
