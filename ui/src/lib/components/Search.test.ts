// Tests for an archive that searches: its search form, the matches in the job list, their products, and the last search kept per account.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import {
  DEMO_ACCOUNT,
  DESACCESS,
  MAST,
  MAST_ACCOUNT,
  MAST_SESSION,
  OBSERVATIONS,
  PRODUCTS,
  backendError,
  mockBackend,
  noActions,
  signedInHandlers,
  startup,
} from "../../test/fixtures";
import { Accounts } from "../accounts.svelte";
import { Transfers } from "../transfers.svelte";
import SearchForm from "./SearchForm.svelte";
import Workspace from "./Workspace.svelte";

type Handlers = Parameters<typeof signedInHandlers>[0];

/** The handlers of a signed-in MAST account: nothing searched yet, the demo proposal's observations for any search. */
function mastHandlers(overrides: Handlers = {}) {
  return signedInHandlers({ list_jobs: () => [], search_jobs: () => OBSERVATIONS, job_outputs: () => PRODUCTS, ...overrides });
}

function mastAccounts() {
  return new Accounts(startup({ providers: [DESACCESS, MAST], accounts: [DEMO_ACCOUNT, MAST_ACCOUNT], active: MAST_ACCOUNT.id }));
}

function renderWorkspace(accounts = mastAccounts()) {
  const view = render(Workspace, { signedIn: MAST_SESSION, accounts, actions: noActions(), transfers: new Transfers(), onAuthExpired: vi.fn() });
  return { ...view, accounts, user: userEvent.setup() };
}

async function searchProposal(user: ReturnType<typeof userEvent.setup>, proposal: string) {
  const form = await screen.findByTestId("search-form");
  await user.type(within(form).getByLabelText("Proposal"), proposal);
  await user.click(within(form).getByRole("button", { name: "Search" }));
}

describe("search form", () => {
  it("draws the archive's search fields without optional markers, each with its help as its description", () => {
    render(SearchForm, { archive: "MAST", fields: MAST.search, onSearch: vi.fn() });
    const form = screen.getByRole("search", { name: "Search MAST" });

    expect(within(form).getByRole("heading")).toHaveTextContent("Search MAST");
    expect(within(form).getAllByRole("textbox").map((input) => input.getAttribute("name"))).toEqual(MAST.search.map((field) => field.key));
    expect(within(form).queryByText("optional")).not.toBeInTheDocument();
    const proposal = within(form).getByLabelText("Proposal");
    expect(proposal).toHaveAccessibleDescription("The proposal (program) id, e.g. 16123.");
    expect(proposal).toHaveAttribute("title", "The proposal (program) id, e.g. 16123.");
    expect(proposal).not.toBeRequired();
  });

  it("searches with the filled fields only, and not before one is filled", async () => {
    const onSearch = vi.fn();
    const user = userEvent.setup();
    render(SearchForm, { archive: "MAST", fields: MAST.search, onSearch });
    const search = screen.getByRole("button", { name: "Search" });
    expect(search).toBeDisabled();

    await user.type(screen.getByLabelText("Proposal"), "16123");
    await user.type(screen.getByLabelText("Target"), "NGC*");
    await user.type(screen.getByLabelText("RA"), "   ");
    await user.click(search);
    expect(onSearch).toHaveBeenCalledWith({ proposal: "16123", target: "NGC*" });

    await user.clear(screen.getByLabelText("Target"));
    await user.type(screen.getByLabelText("Proposal"), "{Enter}");
    expect(onSearch).toHaveBeenLastCalledWith({ proposal: "16123" });
  });

  it("starts with the last search's values, and Clear empties every field", async () => {
    const user = userEvent.setup();
    render(SearchForm, { archive: "MAST", fields: MAST.search, initial: { proposal: "16123", collection: "HST" }, onSearch: vi.fn() });

    expect(screen.getByLabelText("Proposal")).toHaveValue("16123");
    expect(screen.getByLabelText("Collection")).toHaveValue("HST");
    await user.click(screen.getByRole("button", { name: "Clear the form" }));
    expect(screen.getAllByRole("textbox").map((input) => (input as HTMLInputElement).value)).toEqual(MAST.search.map(() => ""));
    expect(screen.getByRole("button", { name: "Search" })).toBeDisabled();
  });

  it("says it is searching while a search runs", () => {
    render(SearchForm, { archive: "MAST", fields: MAST.search, initial: { proposal: "16123" }, busy: true, onSearch: vi.fn() });
    expect(screen.getByTestId("search-submit")).toHaveAttribute("aria-busy", "true");
    expect(screen.getByTestId("search-submit")).toHaveAttribute("title", "Searching…");
    expect(screen.getByTestId("search-submit")).toBeDisabled();
  });
});

describe("searching an archive from the workspace", () => {
  it("asks for a search first, explaining each field", async () => {
    const calls = mockBackend(mastHandlers());
    renderWorkspace();

    expect(await screen.findByText("No search yet")).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Search MAST" })).toBeInTheDocument();
    expect(screen.getByTestId("search-submit")).toHaveAttribute("aria-busy", "false");
    const results = screen.getByRole("region", { name: "Results" });
    expect(results).toHaveTextContent("No search yet");
    expect(results).toHaveTextContent("Fill in one or more fields above and press Search");
    expect(screen.getByRole("heading", { name: "How to search MAST" })).toBeInTheDocument();
    const guide = screen.getByTestId("search-guide");
    expect(guide).toHaveTextContent("Proposal");
    expect(guide).toHaveTextContent("The proposal (program) id, e.g. 16123.");
    expect(screen.getByTestId("job-count")).toHaveTextContent("0 results");
    expect(screen.getByRole("button", { name: "Search again" })).toBeDisabled();
    expect(calls.map((call) => call.cmd)).not.toContain("search_jobs");
  });

  it("lists the matches as rows saying what each is, filters them, and opens one with its products", async () => {
    const calls = mockBackend(mastHandlers());
    const { user } = renderWorkspace();
    await searchProposal(user, "16123");

    const rows = await screen.findAllByTestId("job-row");
    expect(calls.find((call) => call.cmd === "search_jobs")?.args).toEqual({ account: MAST_ACCOUNT.id, values: { proposal: "16123" } });
    expect(rows.map((row) => row.dataset.jobId)).toEqual(OBSERVATIONS.map((job) => job.id));
    expect(rows[0]).toHaveTextContent("ie4m01abq");
    expect(rows[0]).toHaveTextContent("MAST");
    expect(rows[0]).toHaveTextContent("HST WFC3/UVIS");
    expect(within(rows[1]).getByTestId("job-summary")).toHaveTextContent("NGC-4151 · proposal 16123 · exclusive access: needs a MAST token");
    expect(screen.getByTestId("job-count")).toHaveTextContent("2 results");
    expect(rows[0]).not.toHaveTextContent("Succeeded");
    expect(screen.getByText("Nothing selected")).toBeInTheDocument();

    await user.type(screen.getByLabelText("Filter results"), "acq");
    expect(screen.getAllByTestId("job-row").map((row) => row.dataset.jobId)).toEqual([OBSERVATIONS[1].id]);
    expect(screen.getByTestId("job-count")).toHaveTextContent("1 of 2 results");
    await user.clear(screen.getByLabelText("Filter results"));

    await user.click(screen.getAllByTestId("job-row")[0]);
    const detail = screen.getByTestId("job-detail");
    expect(within(detail).getByRole("heading", { name: "ie4m01abq" })).toBeInTheDocument();
    expect(await within(detail).findByTestId("output-tree")).toBeInTheDocument();
    expect(calls.find((call) => call.cmd === "job_outputs")?.args).toEqual({ account: MAST_ACCOUNT.id, jobId: OBSERVATIONS[0].id });
    expect(within(detail).getAllByTestId("tree-file").map((row) => row.dataset.path)).toEqual(PRODUCTS.children.map((node) => node.path));
  });

  it("folds the form to a line saying what was searched while results show, and unfolds it on a click", async () => {
    mockBackend(mastHandlers());
    const { user } = renderWorkspace();
    await searchProposal(user, "16123");
    await screen.findAllByTestId("job-row");

    const toggle = screen.getByTestId("search-toggle");
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    expect(toggle).toHaveTextContent("Search MAST");
    expect(toggle).toHaveTextContent("Proposal 16123");
    expect(screen.queryByLabelText("Proposal")).not.toBeInTheDocument();

    await user.click(toggle);
    expect(toggle).toHaveAttribute("aria-expanded", "true");
    expect(screen.getByLabelText("Collection")).toHaveFocus();
    expect(screen.getByLabelText("Proposal")).toHaveValue("16123");
    expect(toggle).not.toHaveTextContent("Proposal 16123");
  });

  it("says what found nothing", async () => {
    mockBackend(mastHandlers({ search_jobs: () => [] }));
    const { user } = renderWorkspace();
    await searchProposal(user, "99999");

    expect(await screen.findByText("No matches")).toBeInTheDocument();
    expect(screen.getByRole("region", { name: "Results" })).toHaveTextContent("Nothing on MAST matches Proposal 99999.");
    expect(screen.getByLabelText("Proposal")).toHaveValue("99999");
    expect(screen.getByTestId("search-guide")).toBeInTheDocument();
  });

  it("shows a failed search in a banner whose Retry searches again", async () => {
    let failures = 1;
    const calls = mockBackend(
      mastHandlers({
        search_jobs: () => {
          if (failures-- > 0) throw backendError("network", "Couldn't connect to mast.stsci.edu.", true);
          return OBSERVATIONS;
        },
      }),
    );
    const { user } = renderWorkspace();
    await searchProposal(user, "16123");

    const banner = await screen.findByTestId("error-banner");
    expect(banner).toHaveTextContent("Can't reach the archive");
    expect(banner).toHaveTextContent("Couldn't connect to mast.stsci.edu.");
    await user.click(within(banner).getByRole("button", { name: "Retry" }));

    expect(await screen.findAllByTestId("job-row")).toHaveLength(OBSERVATIONS.length);
    expect(screen.queryByTestId("error-banner")).not.toBeInTheDocument();
    expect(calls.filter((call) => call.cmd === "search_jobs").map((call) => call.args.values)).toEqual([{ proposal: "16123" }, { proposal: "16123" }]);
  });

  it("shows a refused search's reason without Retry, and the form keeps what was typed", async () => {
    mockBackend(
      mastHandlers({
        search_jobs: () => {
          throw backendError("invalidInput", "A position needs both the right ascension and the declination (in degrees).");
        },
      }),
    );
    const { user } = renderWorkspace();
    const form = await screen.findByTestId("search-form");
    await user.type(within(form).getByLabelText("RA"), "10.5");
    await user.click(within(form).getByRole("button", { name: "Search" }));

    const banner = await screen.findByTestId("error-banner");
    expect(banner).toHaveTextContent("Check the details");
    expect(within(banner).queryByRole("button", { name: "Retry" })).not.toBeInTheDocument();
    expect(within(form).getByLabelText("RA")).toHaveValue("10.5");
  });

  it("keeps each account's last search while the app runs: the form's values and the archive's matches", async () => {
    const calls = mockBackend(mastHandlers());
    const first = renderWorkspace();
    await searchProposal(first.user, "16123");
    await screen.findAllByTestId("job-row");
    first.unmount();

    // Back on the account: the archive still holds the matches, so nothing is searched again.
    mockBackend(mastHandlers({ list_jobs: () => OBSERVATIONS }));
    const again = renderWorkspace(first.accounts);
    expect(await screen.findAllByTestId("job-row")).toHaveLength(OBSERVATIONS.length);
    expect(screen.getByTestId("search-toggle")).toHaveTextContent("Proposal 16123");
    await again.user.click(screen.getByTestId("search-toggle"));
    expect(screen.getByLabelText("Proposal")).toHaveValue("16123");
    expect(calls.filter((call) => call.cmd === "search_jobs")).toHaveLength(1);
    again.unmount();

    // A new session of the account (signed out and in) holds none: the last search runs again.
    const renewed = mockBackend(mastHandlers());
    renderWorkspace(first.accounts);
    expect(await screen.findAllByTestId("job-row")).toHaveLength(OBSERVATIONS.length);
    expect(renewed.map((call) => call.cmd).filter((cmd) => cmd === "list_jobs" || cmd === "search_jobs")).toEqual(["list_jobs", "search_jobs"]);
    expect(renewed.find((call) => call.cmd === "search_jobs")?.args.values).toEqual({ proposal: "16123" });
  });

  it("searches again from the list's refresh button", async () => {
    const calls = mockBackend(mastHandlers());
    const { user } = renderWorkspace();
    await searchProposal(user, "16123");
    await screen.findAllByTestId("job-row");

    await user.click(screen.getByRole("button", { name: "Search again" }));
    await screen.findAllByTestId("job-row");
    expect(calls.filter((call) => call.cmd === "search_jobs")).toHaveLength(2);
  });

  it("shows no search form for an archive of jobs", async () => {
    mockBackend(signedInHandlers());
    render(Workspace, {
      signedIn: { account: DEMO_ACCOUNT, profile: { username: "demo", name: "", email: "" } },
      accounts: mastAccounts(),
      actions: noActions(),
      transfers: new Transfers(),
      onAuthExpired: vi.fn(),
    });

    expect(await screen.findAllByTestId("job-row")).not.toHaveLength(0);
    expect(screen.queryByTestId("search-form")).not.toBeInTheDocument();
    expect(screen.getByRole("region", { name: "Jobs" })).toBeInTheDocument();
    expect(screen.queryAllByTestId("job-summary")).toHaveLength(0);
  });
});
