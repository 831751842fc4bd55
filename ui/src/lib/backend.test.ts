// Tests for the IPC wrapper: command names and camelCase arguments, and errors always in the backend's shape.
import { mockIPC } from "@tauri-apps/api/mocks";
import { describe, expect, it } from "vitest";
import { jobOutputs, listJobs, signIn, toBackendError } from "./backend";
import { DEMO_FORM, JOBS, TREE, backendError, mockBackend } from "../test/fixtures";

describe("backend", () => {
  it("calls each command by its Rust name with camelCase arguments", async () => {
    const calls = mockBackend({ job_outputs: () => TREE, sign_in: () => null, list_jobs: () => JOBS });
    await jobOutputs("c39008aa52f54b9e94335b566743af0c");
    await signIn(DEMO_FORM);
    expect(await listJobs()).toEqual(JOBS);
    expect(calls).toEqual([
      { cmd: "job_outputs", args: { jobId: "c39008aa52f54b9e94335b566743af0c" } },
      { cmd: "sign_in", args: { form: DEMO_FORM } },
      { cmd: "list_jobs", args: {} },
    ]);
  });

  it("passes the backend's errors through unchanged", async () => {
    const error = backendError("network", "The archive did not answer.", true);
    mockIPC(() => {
      throw error;
    });
    await expect(listJobs()).rejects.toEqual(error);
  });

  it("turns anything else Tauri rejects with into an internal error", async () => {
    mockIPC(() => Promise.reject("command list_jobs not found"));
    await expect(listJobs()).rejects.toEqual({
      code: "internal",
      message: "Something went wrong inside Jobfetch: command list_jobs not found",
      retryable: false,
    });
    expect(toBackendError(new TypeError("boom")).message).toContain("boom");
    expect(toBackendError({ code: "authFailed", message: "Wrong password." })).toEqual(
      backendError("authFailed", "Wrong password.", false),
    );
  });
});
