// Vite and Vitest configuration for the Jobfetch UI, set up the way Tauri 2 expects.
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { svelteTesting } from "@testing-library/svelte/vite";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  // Relative asset URLs so the bundle works from Tauri's custom protocol.
  base: "./",
  // Keep Rust compiler errors visible when run by `tauri dev`.
  clearScreen: false,
  server: {
    port: 1420,
    strictPort: true,
  },
  // Expose Tauri's build variables (TAURI_ENV_PLATFORM, TAURI_ENV_DEBUG, ...) besides VITE_*.
  envPrefix: ["VITE_", "TAURI_ENV_"],
  build: {
    outDir: "dist",
    // WebView2 on Windows is Chromium; WKWebView and WebKitGTK are Safari-class engines.
    target: ["chrome105", "safari15"],
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
    setupFiles: ["src/test/setup.ts"],
    // jsdom is slow with the hundreds of rows some tests render; leave room on a small CI machine.
    testTimeout: 15_000,
    // Times are shown in local time: pin the zone so expectations are the same on every machine.
    env: { TZ: "UTC" },
  },
});
