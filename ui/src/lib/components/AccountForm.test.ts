// Tests for the sign-in form: drawn from the fields an archive declares, the archive picker, and what it sends.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { ProviderInfo } from "../bindings/ProviderInfo";
import type { SignedIn } from "../bindings/SignedIn";
import type { SignInForm } from "../bindings/SignInForm";
import { DEMO_FORM, DESACCESS, MAST, MAST_DEMO_FORM, MAST_SESSION, backendError, mockBackend } from "../../test/fixtures";
import AccountForm from "./AccountForm.svelte";

/** A made-up archive with a URL that has a default, a secret, and a choice. */
const VAULT: ProviderInfo = {
  id: "vault",
  name: "Tape Vault",
  summary: "Files kept on tape, fetched on request.",
  fields: [
    { key: "endpoint", label: "Endpoint", kind: "url", required: false, default: "https://vault.example.org", help: "Leave empty for the public vault.", env: null, suggestions: [] },
    { key: "token", label: "API token", kind: "secret", required: true, default: null, help: "From your profile page.", env: "VAULT_TOKEN", suggestions: [] },
    { key: "region", label: "Region", kind: "choice", options: ["eu", "us", "ap"], required: true, default: "us", help: "", env: null, suggestions: [] },
  ],
  abilities: { jobs: false, search: true, previews: false, uploads: false, requests: true, footprints: false },
  search: [],
  tokenEnv: "EXAMPLE_TOKEN",
  expiry: null,
  opens: null,
  archiveFolder: null,
  retrieval: null,
  deletion: null,
};

const VAULT_SIGNED_IN: SignedIn = {
  account: { id: "vault:me@vault.example.org", provider: "vault", label: "me on vault.example.org", settings: { region: "eu" } },
  profile: { username: "me", name: "", email: "" },
};

function renderForm(providers: ProviderInfo[], initial = { provider: providers[0].id, values: {} }, demos: SignInForm[] = []) {
  const onSignedIn = vi.fn();
  render(AccountForm, { providers, initial, demos, onSignedIn });
  return { onSignedIn, user: userEvent.setup(), form: screen.getByTestId("sign-in-form") };
}

describe("sign-in form", () => {
  it("draws each field by its kind: a URL with its default as placeholder, a password for a secret, a list for a choice", async () => {
    mockBackend({});
    const { form } = renderForm([VAULT]);

    expect(within(form).getByRole("heading")).toHaveTextContent("Sign in to Tape Vault");
    expect(form).toHaveTextContent("Files kept on tape, fetched on request.");
    expect(within(form).queryByRole("radiogroup")).not.toBeInTheDocument();

    const endpoint = within(form).getByLabelText(/^Endpoint/);
    expect(endpoint).toHaveAttribute("type", "url");
    expect(endpoint).toHaveAttribute("placeholder", "https://vault.example.org");
    expect(endpoint).toHaveValue("");
    expect(endpoint).not.toBeRequired();
    expect(endpoint).toHaveAccessibleDescription("Leave empty for the public vault.");
    expect(within(form).getByText("optional")).toBeInTheDocument();

    const token = within(form).getByLabelText(/^API token/);
    expect(token).toHaveAttribute("type", "password");
    expect(token).toBeRequired();
    expect(token).toHaveAccessibleDescription("From your profile page.");

    const region = within(form).getByLabelText(/^Region/);
    expect(region.tagName).toBe("SELECT");
    expect(region).toHaveValue("us");
    expect(within(region).getAllByRole("option").map((option) => option.textContent)).toEqual(["eu", "us (default)", "ap"]);
    expect(form).toHaveTextContent("Passwords, tokens and sessions are kept in your system keyring, never in a file.");
  });

  it("offers an archive's known servers: one click fills the address, and any other can still be typed", async () => {
    const calls = mockBackend({ add_account: () => VAULT_SIGNED_IN });
    const { form, user } = renderForm([DESACCESS]);
    const server = within(form).getByLabelText(/^Server/);
    const known = within(form).getByRole("group", { name: "Known values for Server" });
    const [publicRelease, collaboration] = within(known).getAllByRole("button");
    expect(publicRelease).toHaveTextContent("Public release");
    expect(publicRelease).toHaveAttribute("aria-pressed", "true"); // the default, while the box is empty
    await user.click(collaboration);
    expect(server).toHaveValue("https://deslabs.ncsa.illinois.edu/desaccess/api");
    expect(collaboration).toHaveAttribute("aria-pressed", "true");
    expect(publicRelease).toHaveAttribute("aria-pressed", "false");
    await user.clear(server);
    await user.type(server, "https://des.example.edu/desaccess/api");
    expect(within(known).getAllByRole("button").every((b) => b.getAttribute("aria-pressed") === "false")).toBe(true);
    await user.type(within(form).getByLabelText(/^Username/), "ana");
    await user.type(within(form).getByLabelText(/^Password/), "pw");
    await user.click(within(form).getByRole("button", { name: "Sign in" }));
    expect(calls[0].args.values).toMatchObject({ api_base: "https://des.example.edu/desaccess/api" });
  });

  it("sends the archive and the filled fields, leaving empty ones to their defaults", async () => {
    const calls = mockBackend({ add_account: () => VAULT_SIGNED_IN });
    const { form, user, onSignedIn } = renderForm([VAULT]);

    await user.type(within(form).getByLabelText(/^API token/), "t0ken");
    await user.selectOptions(within(form).getByLabelText(/^Region/), "eu");
    await user.click(within(form).getByRole("button", { name: "Sign in" }));

    expect(calls).toEqual([{ cmd: "add_account", args: { provider: "vault", values: { token: "t0ken", region: "eu" } } }]);
    expect(onSignedIn).toHaveBeenCalledWith(VAULT_SIGNED_IN);
  });

  it("offers a picker when several archives are registered, each drawing its own fields and keeping what was typed", async () => {
    const calls = mockBackend({
      add_account: () => {
        throw backendError("authFailed", "The vault did not accept that token.");
      },
    });
    const others: ProviderInfo[] = [
      { ...VAULT, id: "survey", name: "Sky Survey", summary: "Catalogue queries.", fields: [VAULT.fields[1]] },
      { ...VAULT, id: "lab", name: "Lab Archive", summary: "Instrument runs.", fields: [DESACCESS.fields[1], DESACCESS.fields[2]] },
    ];
    const { form, user, onSignedIn } = renderForm([DESACCESS, VAULT, ...others]);

    const picker = within(form).getByRole("radiogroup", { name: "Archive" });
    expect(within(picker).getAllByRole("radio")).toHaveLength(4);
    expect(picker).toHaveTextContent("DESaccess");
    expect(picker).toHaveTextContent("Dark Energy Survey cutout and query jobs (NCSA).");
    expect(within(picker).getByRole("radio", { name: /DESaccess/ })).toBeChecked();
    expect(within(form).getByRole("heading")).toHaveTextContent("Sign in to DESaccess");
    await user.type(within(form).getByLabelText(/^Username/), "ana");

    await user.click(within(picker).getByRole("radio", { name: /Tape Vault/ }));
    expect(within(form).getByRole("heading")).toHaveTextContent("Sign in to Tape Vault");
    expect(within(form).queryByLabelText(/^Username/)).not.toBeInTheDocument();
    await user.type(within(form).getByLabelText(/^API token/), "nope");
    await user.click(within(form).getByRole("button", { name: "Sign in" }));
    expect(await within(form).findByTestId("error-banner")).toHaveTextContent("The vault did not accept that token.");
    expect(calls.at(-1)?.args).toEqual({ provider: "vault", values: { token: "nope", region: "us" } });
    expect(onSignedIn).not.toHaveBeenCalled();

    await user.click(within(picker).getByRole("radio", { name: /DESaccess/ }));
    expect(within(form).getByLabelText(/^Username/)).toHaveValue("ana");
  });

  it("starts from an account's settings, and keeps a saved choice the archive no longer lists", async () => {
    mockBackend({});
    const { form } = renderForm([DESACCESS], {
      provider: "desaccess",
      values: { api_base: "https://des.example.org/api", username: "ana", database: "desold" },
    });

    expect(within(form).getByLabelText(/^Server/)).toHaveValue("https://des.example.org/api");
    expect(within(form).getByLabelText(/^Username/)).toHaveValue("ana");
    expect(within(form).getByLabelText(/^Password/)).toHaveValue("");
    expect(within(form).getByLabelText(/^Database/)).toHaveValue("desold");
  });

  it("reads an optional token as optional, and signs in anonymously without one", async () => {
    const calls = mockBackend({ add_account: () => ({ ...MAST_SESSION, account: { ...MAST_SESSION.account, id: "mast:anonymous@127.0.0.1:40124" } }) });
    const { form, user, onSignedIn } = renderForm([MAST]);

    const server = within(form).getByLabelText(/^Server/);
    expect(server).toHaveAttribute("placeholder", "https://mast.stsci.edu");
    expect(server).not.toBeRequired();
    const token = within(form).getByLabelText(/^API token/);
    expect(token).toHaveAttribute("type", "password");
    expect(token).not.toBeRequired();
    expect(within(form).getByText("API token").querySelector(".optional")).toHaveTextContent("optional");
    expect(token).toHaveAccessibleDescription("Only exclusive-access data needs one.");

    await user.type(server, "http://127.0.0.1:40124");
    await user.click(within(form).getByRole("button", { name: "Sign in" }));
    expect(calls).toEqual([{ cmd: "add_account", args: { provider: "mast", values: { base: "http://127.0.0.1:40124" } } }]);
    expect(onSignedIn).toHaveBeenCalledOnce();
  });

  it("offers the picked archive's demo in one click, without showing its token", async () => {
    const calls = mockBackend({ add_account: () => MAST_SESSION });
    const { form, user, onSignedIn } = renderForm([DESACCESS, MAST], { provider: "desaccess", values: {} }, [DEMO_FORM, MAST_DEMO_FORM]);

    expect(within(form).getByTestId("demo-sign-in")).toHaveTextContent("Use the demo DESaccess");
    await user.click(within(form).getByRole("radio", { name: /MAST/ }));
    const demo = within(form).getByTestId("demo-sign-in");
    expect(demo).toHaveTextContent("Use the demo MAST");
    expect(within(form).getByLabelText(/^API token/)).toHaveValue("");

    await user.click(demo);
    expect(calls).toEqual([{ cmd: "add_account", args: { provider: "mast", values: MAST_DEMO_FORM.values } }]);
    expect(onSignedIn).toHaveBeenCalledWith(MAST_SESSION);
  });

  it("offers no demo for an archive the demo does not serve", () => {
    mockBackend({});
    const { form } = renderForm([DESACCESS, MAST], { provider: "mast", values: {} }, [DEMO_FORM]);
    expect(within(form).queryByTestId("demo-sign-in")).not.toBeInTheDocument();
  });
});
