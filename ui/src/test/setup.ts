// Test setup: jest-dom matchers for Vitest, and Tauri's IPC mock reset after every test.
import "@testing-library/jest-dom/vitest";
import { clearMocks } from "@tauri-apps/api/mocks";
import { afterEach } from "vitest";

afterEach(() => {
  clearMocks();
});
