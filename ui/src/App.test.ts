// Tests for the app's start-up and sign-in flows: demo auto sign-in, resumed sessions, errors, expiry and sign-out.
import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import App from "./App.svelte";
import { DEMO_FORM, DOWNLOAD_FOLDER, JOBS, SESSION, TransferFeed, backendError, mockBackend, signedInHandlers } from "./test/fixtures";

async function signInForm() {
  return screen.findByTestId("sign-in-form");
}

describe("App start-up", () => {
  it("signs in with the demo account by itself and lists its jobs", async () => {
    const calls = mockBackend({
      startup_state: () => ({ demo: DEMO_FORM, savedAccount: null }),
      sign_in: () => SESSION,
      list_jobs: () => JOBS,
      watch_transfers: new TransferFeed().subscribe,
      download_folder: () => DOWNLOAD_FOLDER,
      bandwidth_limit: () => null,
    });
    render(App);

    expect(await screen.findAllByTestId("job-row")).toHaveLength(JOBS.length);
    expect(screen.getByTestId("signed-in-user")).toHaveTextContent(/^demo$/);
    expect(screen.queryByTestId("sign-in-form")).not.toBeInTheDocument();
    expect(calls.map((call) => call.cmd)).toEqual(["startup_state", "sign_in", "list_jobs", "watch_transfers", "download_folder", "bandwidth_limit"]);
    expect(calls[1].args).toEqual({ form: DEMO_FORM });
  });

  it("keeps the demo form on screen with the error when the demo sign-in fails", async () => {
    mockBackend({
      startup_state: () => ({ demo: DEMO_FORM, savedAccount: null }),
      sign_in: () => {
        throw backendError("network", "The demo archive did not answer.", true);
      },
    });
    render(App);

    const form = await signInForm();
    const banner = await within(form).findByTestId("error-banner");
    expect(banner).toHaveTextContent("Can't reach the archive");
    expect(banner).toHaveTextContent("The demo archive did not answer.");
    expect(within(form).getByLabelText("Username")).toHaveValue("demo");
    expect(within(form).getByRole("button", { name: "Sign in" })).toBeEnabled();
  });

  it("resumes a saved session without asking for the password", async () => {
    const calls = mockBackend(signedInHandlers());
    render(App);

    expect(await screen.findAllByTestId("job-row")).toHaveLength(JOBS.length);
    expect(calls.map((call) => call.cmd)).toEqual(["startup_state", "resume_session", "list_jobs", "watch_transfers", "download_folder", "bandwidth_limit"]);
  });

  it("asks to sign in, pre-filled from the saved account, and shows a refused password inline", async () => {
    const user = userEvent.setup();
    let attempts = 0;
    const calls = mockBackend(
      signedInHandlers({
        resume_session: () => null,
        sign_in: () => {
          attempts += 1;
          if (attempts === 1) throw backendError("authFailed", "DESaccess refused that username or password.");
          return SESSION;
        },
      }),
    );
    render(App);

    const form = await signInForm();
    expect(within(form).getByLabelText("API address")).toHaveValue(SESSION.account.apiBase);
    expect(within(form).getByLabelText("Username")).toHaveValue("demo");
    expect(within(form).getByLabelText("Password")).toHaveValue("");
    expect(within(form).getByLabelText("Database")).toHaveValue("desdr");
    expect(form).toHaveTextContent("Your password and session are kept in your system keyring, never in a file.");

    await user.type(within(form).getByLabelText("Password"), "wrong");
    await user.selectOptions(within(form).getByLabelText("Database"), "dessci");
    await user.click(within(form).getByRole("button", { name: "Sign in" }));

    const banner = await within(form).findByTestId("error-banner");
    expect(banner).toHaveTextContent("DESaccess refused that username or password.");
    expect(within(banner).queryByRole("button", { name: "Retry" })).not.toBeInTheDocument();
    expect(calls.find((call) => call.cmd === "sign_in")?.args).toEqual({
      form: { apiBase: SESSION.account.apiBase, username: "demo", password: "wrong", database: "dessci" },
    });

    await user.click(within(form).getByRole("button", { name: "Sign in" }));
    expect(await screen.findAllByTestId("job-row")).toHaveLength(JOBS.length);
  });

  it("shows the keyring's error on the sign-in form when the saved session can't be read", async () => {
    mockBackend(
      signedInHandlers({
        resume_session: () => {
          throw backendError("keychain", "The system keyring is locked.");
        },
      }),
    );
    render(App);

    const form = await signInForm();
    expect(await within(form).findByTestId("error-banner")).toHaveTextContent("The system keyring is locked.");
  });

  it("goes back to the sign-in form with the message when the session has expired", async () => {
    mockBackend(
      signedInHandlers({
        list_jobs: () => {
          throw backendError("authExpired", "Your DESaccess session has expired. Sign in again.");
        },
      }),
    );
    render(App);

    const form = await signInForm();
    expect(within(form).getByTestId("error-banner")).toHaveTextContent("Your DESaccess session has expired. Sign in again.");
    expect(within(form).getByLabelText("Username")).toHaveValue("demo");
    expect(within(form).getByLabelText("Password")).toHaveValue("");
    expect(screen.queryByTestId("job-list")).not.toBeInTheDocument();
  });

  it("offers Retry when start-up fails, and starts once retried", async () => {
    const user = userEvent.setup();
    let failures = 1;
    mockBackend(
      signedInHandlers({
        startup_state: () => {
          if (failures-- > 0) throw backendError("internal", "Jobfetch could not read its settings.", true);
          return { demo: null, savedAccount: null };
        },
      }),
    );
    render(App);

    const banner = await screen.findByTestId("error-banner");
    expect(banner).toHaveTextContent("Jobfetch could not read its settings.");
    await user.click(within(banner).getByRole("button", { name: "Retry" }));
    expect(await screen.findAllByTestId("job-row")).toHaveLength(JOBS.length);
  });

  it("signs out back to the sign-in form for the same account", async () => {
    const user = userEvent.setup();
    const calls = mockBackend(signedInHandlers());
    render(App);

    await screen.findAllByTestId("job-row");
    await user.click(screen.getByRole("button", { name: "Sign out" }));

    const form = await signInForm();
    expect(within(form).getByLabelText("Username")).toHaveValue("demo");
    expect(within(form).queryByTestId("error-banner")).not.toBeInTheDocument();
    await waitFor(() => expect(calls.map((call) => call.cmd)).toContain("sign_out"));
  });

  it("subscribes to transfers once, and keeps them across signing out and in", async () => {
    const user = userEvent.setup();
    const calls = mockBackend(signedInHandlers({ sign_in: () => SESSION }));
    render(App);

    await screen.findAllByTestId("job-row");
    await user.click(screen.getByRole("button", { name: "Sign out" }));
    const form = await signInForm();
    await user.type(within(form).getByLabelText("Password"), "secret");
    await user.click(within(form).getByRole("button", { name: "Sign in" }));

    await screen.findAllByTestId("job-row");
    expect(calls.filter((call) => call.cmd === "watch_transfers")).toHaveLength(1);
    expect(calls.filter((call) => call.cmd === "download_folder")).toHaveLength(1);
    expect(calls.filter((call) => call.cmd === "bandwidth_limit")).toHaveLength(1);
  });
});
