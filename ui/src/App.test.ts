// Tests for the app's start-up and sign-in flows: the demo archive, resumed sessions, errors, expiry and signing out.
import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import App from "./App.svelte";
import {
  DEMO_ACCOUNT,
  DEMO_FORM,
  DOWNLOAD_FOLDER,
  JOBS,
  SESSION,
  TransferFeed,
  backendError,
  mockBackend,
  signedInHandlers,
  startup,
} from "./test/fixtures";

async function signInForm() {
  return screen.findByTestId("sign-in-form");
}

/** True when no field on screen holds the demo archive's password: only the one-click button may use it. */
function demoPasswordShown() {
  return [...document.querySelectorAll<HTMLInputElement>("input")].some((input) => input.value === DEMO_FORM.values.password);
}

async function openAccountMenu(user: ReturnType<typeof userEvent.setup>) {
  await user.click(await screen.findByTestId("account-menu-button"));
  return screen.getByTestId("account-menu");
}

/** What the window asks the backend once an account is signed in: its jobs, the transfers, the jobs waited for, where downloads go, the job shown last. */
const SIGNED_IN_CALLS = ["list_jobs", "watch_transfers", "bandwidth_limit", "followed_jobs", "download_folder", "last_job", "free_space"];

const ON_DEMO = { startup_state: () => startup({ accounts: [], active: null, demos: [DEMO_FORM] }), add_account: () => SESSION };

describe("App start-up", () => {
  it("signs in to the demo archive by itself and lists its jobs", async () => {
    const calls = mockBackend({
      ...ON_DEMO,
      list_jobs: () => JOBS,
      watch_transfers: new TransferFeed().subscribe,
      download_folder: () => DOWNLOAD_FOLDER,
      free_space: () => 2 ** 40,
      last_job: () => null,
      followed_jobs: () => [],
      bandwidth_limit: () => null,
    });
    render(App);

    expect(await screen.findAllByTestId("job-row")).toHaveLength(JOBS.length);
    expect(screen.getByTestId("signed-in-user")).toHaveTextContent(/^demo$/);
    expect(screen.getByTestId("active-account")).toHaveTextContent("demo on 127.0.0.1:40123/desaccess/api");
    expect(screen.getByTestId("active-archive")).toHaveTextContent("DESaccess");
    expect(screen.queryByTestId("sign-in-form")).not.toBeInTheDocument();
    expect(calls.map((call) => call.cmd)).toEqual(["startup_state", "add_account", ...SIGNED_IN_CALLS]);
    expect(calls[1].args).toEqual({ provider: "desaccess", values: DEMO_FORM.values });
    expect(calls[2].args).toEqual({ account: DEMO_ACCOUNT.id });
  });

  it("shows the error and the one-click demo sign-in when signing in to the demo archive fails", async () => {
    const user = userEvent.setup();
    let failures = 1;
    mockBackend(
      signedInHandlers({
        ...ON_DEMO,
        add_account: () => {
          if (failures-- > 0) throw backendError("network", "The demo archive did not answer.", true);
          return SESSION;
        },
      }),
    );
    render(App);

    const form = await signInForm();
    const banner = within(form).getByTestId("error-banner");
    expect(banner).toHaveTextContent("Can't reach the archive");
    expect(banner).toHaveTextContent("The demo archive did not answer.");
    expect(within(form).getByLabelText(/^Username/)).toHaveValue("");
    expect(demoPasswordShown()).toBe(false);

    await user.click(within(form).getByRole("button", { name: "Use the demo DESaccess" }));
    expect(await screen.findAllByTestId("job-row")).toHaveLength(JOBS.length);
  });

  it("offers one click into the demo archive after signing out of it, with its password nowhere on screen", async () => {
    const user = userEvent.setup();
    const calls = mockBackend(signedInHandlers(ON_DEMO));
    render(App);
    await screen.findAllByTestId("job-row");

    const menu = await openAccountMenu(user);
    await user.click(within(menu).getByRole("button", { name: "Sign out" }));
    const form = await signInForm();
    expect(calls.find((call) => call.cmd === "sign_out")?.args).toEqual({ account: DEMO_ACCOUNT.id });
    expect(within(form).getByLabelText(/^Username/)).toHaveValue("demo");
    expect(within(form).getByLabelText(/^Password/)).toHaveValue("");
    expect(demoPasswordShown()).toBe(false);

    await user.click(within(form).getByRole("button", { name: "Use the demo DESaccess" }));
    expect(await screen.findAllByTestId("job-row")).toHaveLength(JOBS.length);
    const added = calls.filter((call) => call.cmd === "add_account");
    expect(added).toHaveLength(2);
    expect(added[1].args).toEqual({ provider: DEMO_FORM.provider, values: DEMO_FORM.values });
  });

  it("offers no demo sign-in when the app does not run on the demo archive", async () => {
    mockBackend(signedInHandlers({ resume_session: () => null }));
    render(App);

    await signInForm();
    expect(screen.queryByRole("button", { name: /Use the demo/ })).not.toBeInTheDocument();
  });

  it("resumes a saved session without asking for the password", async () => {
    const calls = mockBackend(signedInHandlers());
    render(App);

    expect(await screen.findAllByTestId("job-row")).toHaveLength(JOBS.length);
    expect(calls.map((call) => call.cmd)).toEqual(["startup_state", "resume_session", ...SIGNED_IN_CALLS]);
  });

  it("asks to sign in, pre-filled from the saved account, and shows a refused password inline", async () => {
    const user = userEvent.setup();
    let attempts = 0;
    const calls = mockBackend(
      signedInHandlers({
        resume_session: () => null,
        add_account: () => {
          attempts += 1;
          if (attempts === 1) throw backendError("authFailed", "DESaccess refused that username or password.");
          return SESSION;
        },
      }),
    );
    render(App);

    const form = await signInForm();
    expect(within(form).getByRole("heading")).toHaveTextContent("Sign in to DESaccess");
    expect(within(form).getByLabelText(/^Server/)).toHaveValue(DEMO_ACCOUNT.settings.api_base);
    expect(within(form).getByLabelText(/^Username/)).toHaveValue("demo");
    expect(within(form).getByLabelText(/^Password/)).toHaveValue("");
    expect(within(form).getByLabelText(/^Database/)).toHaveValue("desdr");
    expect(form).toHaveTextContent("Passwords, tokens and sessions are kept in your system keyring, never in a file.");

    await user.type(within(form).getByLabelText(/^Password/), "wrong");
    await user.selectOptions(within(form).getByLabelText(/^Database/), "dessci");
    await user.click(within(form).getByRole("button", { name: "Sign in" }));

    const banner = await within(form).findByTestId("error-banner");
    expect(banner).toHaveTextContent("DESaccess refused that username or password.");
    expect(within(banner).queryByRole("button", { name: "Retry" })).not.toBeInTheDocument();
    expect(calls.find((call) => call.cmd === "add_account")?.args).toEqual({
      provider: "desaccess",
      values: { api_base: DEMO_ACCOUNT.settings.api_base, username: "demo", password: "wrong", database: "dessci" },
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
    expect(within(form).getByLabelText(/^Username/)).toHaveValue("demo");
    expect(within(form).getByLabelText(/^Password/)).toHaveValue("");
    expect(screen.queryByTestId("job-list")).not.toBeInTheDocument();
  });

  it("offers Retry when start-up fails, and starts once retried", async () => {
    const user = userEvent.setup();
    let failures = 1;
    mockBackend(
      signedInHandlers({
        startup_state: () => {
          if (failures-- > 0) throw backendError("internal", "Jobfetch could not read its settings.", true);
          return startup();
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
    const menu = await openAccountMenu(user);
    await user.click(within(menu).getByRole("button", { name: "Sign out" }));

    const form = await signInForm();
    expect(within(form).getByLabelText(/^Username/)).toHaveValue("demo");
    expect(within(form).queryByTestId("error-banner")).not.toBeInTheDocument();
    await waitFor(() => expect(calls.map((call) => call.cmd)).toContain("sign_out"));
    expect(screen.queryByTestId("saved-account")).not.toBeInTheDocument();
  });

  it("subscribes to transfers once, and keeps them across signing out and in", async () => {
    const user = userEvent.setup();
    const calls = mockBackend(signedInHandlers({ add_account: () => SESSION }));
    render(App);

    await screen.findAllByTestId("job-row");
    await user.click(within(await openAccountMenu(user)).getByRole("button", { name: "Sign out" }));
    const form = await signInForm();
    await user.type(within(form).getByLabelText(/^Password/), "secret");
    await user.click(within(form).getByRole("button", { name: "Sign in" }));

    await screen.findAllByTestId("job-row");
    expect(calls.filter((call) => call.cmd === "watch_transfers")).toHaveLength(1);
    expect(calls.filter((call) => call.cmd === "bandwidth_limit")).toHaveLength(1);
    // The download folder is the account's: asked again for each account the window shows.
    expect(calls.filter((call) => call.cmd === "download_folder")).toHaveLength(2);
  });
});
