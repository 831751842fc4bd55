// Tests for accounts in the app: the active one in the top bar, switching, adding, and removing with confirmation.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import App from "../../App.svelte";
import {
  DEMO_ACCOUNT,
  DEMO_FORM,
  DESACCESS,
  JOBS,
  MAST,
  MAST_ACCOUNT,
  MAST_DEMO_FORM,
  MAST_SESSION,
  OBSERVATIONS,
  SESSION,
  OTHER_ACCOUNT,
  OTHER_JOBS,
  OTHER_SESSION,
  backendError,
  mockBackend,
  signedInHandlers,
  startup,
} from "../../test/fixtures";

/** An app with two accounts added, signed in to the demo one; each account lists its own jobs. */
function twoAccounts(overrides = {}) {
  return mockBackend(
    signedInHandlers({
      startup_state: () => startup({ accounts: [DEMO_ACCOUNT, OTHER_ACCOUNT] }),
      list_jobs: ({ account }) => (account === OTHER_ACCOUNT.id ? OTHER_JOBS : JOBS),
      sign_in: ({ account }) => {
        if (account !== OTHER_ACCOUNT.id) throw new Error(`unexpected sign-in to ${String(account)}`);
        return OTHER_SESSION;
      },
      ...overrides,
    }),
  );
}

async function openMenu(user: ReturnType<typeof userEvent.setup>) {
  await user.click(await screen.findByTestId("account-menu-button"));
  return screen.getByTestId("account-menu");
}

const rowNames = () => screen.getAllByTestId("job-row").map((row) => row.querySelector(".name")?.textContent);

describe("accounts", () => {
  it("lists every account with its archive, the active one marked", async () => {
    const user = userEvent.setup();
    twoAccounts();
    render(App);
    await screen.findAllByTestId("job-row");

    const menu = await openMenu(user);
    const items = within(menu).getAllByTestId("account-item");
    expect(items.map((item) => item.dataset.accountId)).toEqual([DEMO_ACCOUNT.id, OTHER_ACCOUNT.id]);
    expect(items[0]).toHaveTextContent(DEMO_ACCOUNT.label);
    expect(items[1]).toHaveTextContent(OTHER_ACCOUNT.label);
    expect(items.map((item) => within(item).getByTestId("account-archive").textContent)).toEqual(["DESaccess", "DESaccess"]);
    expect(items[0]).toHaveAttribute("aria-current", "true");
    expect(items[1]).not.toHaveAttribute("aria-current");

    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("account-menu")).not.toBeInTheDocument();
  });

  it("switches to another account and shows its jobs, each with its archive", async () => {
    const user = userEvent.setup();
    const calls = twoAccounts();
    render(App);
    await screen.findAllByTestId("job-row");
    expect(rowNames()).toEqual(JOBS.map((job) => job.name));

    const menu = await openMenu(user);
    await user.click(within(menu).getByRole("button", { name: new RegExp(OTHER_ACCOUNT.label) }));

    await vi.waitFor(() => expect(rowNames()).toEqual(OTHER_JOBS.map((job) => job.name)));
    expect(screen.queryByTestId("account-menu")).not.toBeInTheDocument();
    expect(screen.getByTestId("active-account")).toHaveTextContent(OTHER_ACCOUNT.label);
    expect(screen.getByTestId("signed-in-user")).toHaveTextContent("ana");
    expect(screen.getAllByTestId("job-archive").map((badge) => badge.textContent)).toEqual(["DESaccess", "DESaccess"]);
    expect(calls.filter((call) => call.cmd === "sign_in").map((call) => call.args)).toEqual([{ account: OTHER_ACCOUNT.id }]);
    expect(calls.filter((call) => call.cmd === "list_jobs").map((call) => call.args)).toEqual([
      { account: DEMO_ACCOUNT.id },
      { account: OTHER_ACCOUNT.id },
    ]);

    const back = await openMenu(user);
    expect(within(back).getAllByTestId("account-item")[1]).toHaveAttribute("aria-current", "true");
  });

  it("asks for the password of an account the keyring holds none for, then shows its jobs", async () => {
    const user = userEvent.setup();
    const calls = twoAccounts({
      sign_in: () => {
        throw backendError("authFailed", "Enter your DESaccess password.");
      },
      add_account: () => OTHER_SESSION,
    });
    render(App);
    await screen.findAllByTestId("job-row");

    await user.click(within(await openMenu(user)).getByRole("button", { name: new RegExp(OTHER_ACCOUNT.label) }));
    const dialog = await screen.findByTestId("account-dialog");
    expect(within(dialog).getByTestId("error-banner")).toHaveTextContent("Enter your DESaccess password.");
    expect(within(dialog).getByLabelText(/^Username/)).toHaveValue("ana");
    expect(within(dialog).getByLabelText(/^Database/)).toHaveValue("dessci");
    expect(within(dialog).getByLabelText(/^Password/)).toHaveFocus();

    await user.type(within(dialog).getByLabelText(/^Password/), "secret");
    await user.click(within(dialog).getByRole("button", { name: "Sign in" }));
    await vi.waitFor(() => expect(rowNames()).toEqual(OTHER_JOBS.map((job) => job.name)));
    expect(screen.queryByTestId("account-dialog")).not.toBeInTheDocument();
    expect(calls.find((call) => call.cmd === "add_account")?.args).toEqual({
      provider: "desaccess",
      values: { ...OTHER_ACCOUNT.settings, password: "secret" },
    });
  });

  it("adds an account from the menu's form and shows its jobs, keeping the first one in the list", async () => {
    const user = userEvent.setup();
    const calls = mockBackend(
      signedInHandlers({
        list_jobs: ({ account }) => (account === OTHER_ACCOUNT.id ? OTHER_JOBS : JOBS),
        add_account: () => OTHER_SESSION,
      }),
    );
    render(App);
    await screen.findAllByTestId("job-row");

    await user.click(within(await openMenu(user)).getByRole("button", { name: "Add account…" }));
    const dialog = await screen.findByTestId("account-dialog");
    expect(within(dialog).getByLabelText(/^Username/)).toHaveValue("");
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByTestId("account-dialog")).not.toBeInTheDocument();

    await user.click(within(await openMenu(user)).getByRole("button", { name: "Add account…" }));
    const again = await screen.findByTestId("account-dialog");
    await user.type(within(again).getByLabelText(/^Server/), OTHER_ACCOUNT.settings.api_base);
    await user.type(within(again).getByLabelText(/^Username/), "ana");
    await user.type(within(again).getByLabelText(/^Password/), "secret");
    await user.click(within(again).getByRole("button", { name: "Sign in" }));

    await vi.waitFor(() => expect(rowNames()).toEqual(OTHER_JOBS.map((job) => job.name)));
    expect(calls.find((call) => call.cmd === "add_account")?.args).toEqual({
      provider: "desaccess",
      values: { api_base: OTHER_ACCOUNT.settings.api_base, username: "ana", password: "secret", database: "desdr" },
    });
    const items = within(await openMenu(user)).getAllByTestId("account-item");
    expect(items.map((item) => item.dataset.accountId)).toEqual([DEMO_ACCOUNT.id, OTHER_ACCOUNT.id]);
  });

  it("asks before removing the active account, then moves to the next one", async () => {
    const user = userEvent.setup();
    const calls = twoAccounts({ remove_account: () => null });
    render(App);
    await screen.findAllByTestId("job-row");

    let menu = await openMenu(user);
    await user.click(within(menu).getByRole("button", { name: "Remove…" }));
    const confirm = within(menu).getByTestId("remove-confirm");
    expect(confirm).toHaveTextContent(`Remove ${DEMO_ACCOUNT.label} from Jobfetch?`);
    expect(calls.map((call) => call.cmd)).not.toContain("remove_account");
    await user.click(within(confirm).getByRole("button", { name: "Cancel" }));
    expect(within(menu).queryByTestId("remove-confirm")).not.toBeInTheDocument();
    expect(calls.map((call) => call.cmd)).not.toContain("remove_account");

    await user.click(within(menu).getByRole("button", { name: "Remove…" }));
    await user.click(within(menu).getByRole("button", { name: "Remove account" }));

    await vi.waitFor(() => expect(rowNames()).toEqual(OTHER_JOBS.map((job) => job.name)));
    expect(calls.find((call) => call.cmd === "remove_account")?.args).toEqual({ account: DEMO_ACCOUNT.id });
    menu = await openMenu(user);
    expect(within(menu).getAllByTestId("account-item").map((item) => item.dataset.accountId)).toEqual([OTHER_ACCOUNT.id]);
  });

  it("shows the welcome screen after removing the last account", async () => {
    const user = userEvent.setup();
    mockBackend(signedInHandlers({ remove_account: () => null }));
    render(App);
    await screen.findAllByTestId("job-row");

    const menu = await openMenu(user);
    await user.click(within(menu).getByRole("button", { name: "Remove…" }));
    await user.click(within(menu).getByRole("button", { name: "Remove account" }));

    expect(await screen.findByTestId("welcome")).toBeInTheDocument();
    expect(screen.getAllByTestId("welcome-archive")).toHaveLength(1);
    expect(screen.queryByTestId("saved-account")).not.toBeInTheDocument();
  });

  it("offers the other accounts on the sign-in screen after signing out", async () => {
    const user = userEvent.setup();
    twoAccounts();
    render(App);
    await screen.findAllByTestId("job-row");

    await user.click(within(await openMenu(user)).getByRole("button", { name: "Sign out" }));
    const saved = await screen.findAllByTestId("saved-account");
    expect(saved.map((button) => button.dataset.accountId)).toEqual([OTHER_ACCOUNT.id]);
    expect(saved[0]).toHaveTextContent("DESaccess");
    await user.click(saved[0]);
    await vi.waitFor(() => expect(rowNames()).toEqual(OTHER_JOBS.map((job) => job.name)));
  });

  it("adds the demo's second archive in one click from the add-account form, and shows its search form", async () => {
    const user = userEvent.setup();
    const calls = mockBackend(
      signedInHandlers({
        startup_state: () => startup({ providers: [DESACCESS, MAST], accounts: [], active: null, demos: [DEMO_FORM, MAST_DEMO_FORM] }),
        add_account: ({ provider }) => (provider === "mast" ? MAST_SESSION : SESSION),
        list_jobs: ({ account }) => (account === MAST_ACCOUNT.id ? [] : JOBS),
        search_jobs: () => OBSERVATIONS,
      }),
    );
    render(App);
    await screen.findAllByTestId("job-row");
    expect(screen.queryByTestId("search-form")).not.toBeInTheDocument();

    const menu = await openMenu(user);
    await user.click(within(menu).getByTestId("add-account"));
    const dialog = screen.getByTestId("account-dialog");
    await user.click(within(dialog).getByRole("radio", { name: /MAST/ }));
    await user.click(within(dialog).getByRole("button", { name: "Use the demo MAST" }));

    expect(await screen.findByTestId("search-form")).toBeInTheDocument();
    expect(screen.queryByTestId("account-dialog")).not.toBeInTheDocument();
    expect(screen.getByTestId("active-archive")).toHaveTextContent("MAST");
    expect(calls.filter((call) => call.cmd === "add_account").map((call) => call.args)).toEqual([
      { provider: "desaccess", values: DEMO_FORM.values },
      { provider: "mast", values: MAST_DEMO_FORM.values },
    ]);
    expect(await screen.findByText("No search yet")).toBeInTheDocument();

    await user.type(screen.getByLabelText("Proposal"), "16123{Enter}");
    expect(await screen.findAllByTestId("job-row")).toHaveLength(OBSERVATIONS.length);
    expect(screen.getAllByTestId("job-archive").map((badge) => badge.textContent)).toEqual(["MAST", "MAST"]);
  });
});
