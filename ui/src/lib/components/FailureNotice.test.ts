// A panic in the backend reaches the window as a notice that offers the diagnostics, and copying them works
// with a clipboard and without one.
import { emit } from "@tauri-apps/api/event";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import { mockBackend } from "../../test/fixtures";
import FailureNotice from "./FailureNotice.svelte";

const REPORT = "Jobfetch diagnostics\nJobfetch: 0.1.0\nLast warnings and errors (1):\n  a download failed\n";
const SENTENCE = "A part of Jobfetch stopped unexpectedly (tokio-runtime-worker thread: boom at src/x.rs:1).";

function clipboard(writeText: (text: string) => Promise<void>) {
  Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
}

describe("FailureNotice", () => {
  afterEach(() => {
    Object.defineProperty(navigator, "clipboard", { value: undefined, configurable: true });
  });

  it("shows nothing until the backend reports a failure, then says what stopped", async () => {
    mockBackend({ diagnostics_report: () => REPORT });
    render(FailureNotice);
    expect(screen.queryByTestId("failure-notice")).toBeNull();
    await waitFor(() => emit("background-failure", SENTENCE));
    const notice = await screen.findByTestId("failure-notice");
    expect(notice).toHaveTextContent("Something in Jobfetch stopped unexpectedly");
    expect(notice).toHaveTextContent("boom at src/x.rs:1");
    await emit("background-failure", "A second failure.");
    await waitFor(() => expect(notice).toHaveTextContent("A second failure."));
    expect(notice).toHaveTextContent("and 1 more before it.");
    await fireEvent.click(screen.getByRole("button", { name: "Dismiss" }));
    expect(screen.queryByTestId("failure-notice")).toBeNull();
  });

  it("copies the diagnostics to the clipboard, or shows them when there is none", async () => {
    const calls = mockBackend({ diagnostics_report: () => REPORT });
    const writeText = vi.fn(async () => {});
    clipboard(writeText);
    render(FailureNotice);
    await waitFor(() => emit("background-failure", SENTENCE));
    await fireEvent.click(await screen.findByTestId("copy-diagnostics"));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith(REPORT));
    expect(screen.getByTestId("copy-diagnostics")).toHaveTextContent("Diagnostics copied");
    expect(calls.filter((c) => c.cmd === "diagnostics_report")).toHaveLength(1);

    clipboard(async () => {
      throw new Error("not allowed");
    });
    await fireEvent.click(screen.getByTestId("copy-diagnostics"));
    const text = await screen.findByTestId("diagnostics-text");
    expect((text as HTMLTextAreaElement).value).toBe(REPORT);
  });
});
