// The archives the backend offers and the accounts added for them: names to show, sign-in forms to fill, and each account's last search.
import type { BatchSnapshot } from "./bindings/BatchSnapshot";
import type { Account } from "./bindings/Account";
import type { AccountId } from "./bindings/AccountId";
import type { Field } from "./bindings/Field";
import type { ProviderId } from "./bindings/ProviderId";
import type { ProviderInfo } from "./bindings/ProviderInfo";
import type { SignInForm } from "./bindings/SignInForm";
import type { StartupState } from "./bindings/StartupState";

/** The archive part of an account id, `<provider>:<user>@<server>`. */
export function providerIdOf(account: AccountId): ProviderId {
  const colon = account.indexOf(":");
  return colon < 0 ? "" : account.slice(0, colon);
}

/** The value a field starts with: what `values` has, else a choice's default (other defaults are placeholders). */
export function initialValue(field: Field, values: Record<string, string>): string {
  const given = values[field.key];
  if (given !== undefined && given !== "") return given;
  if (field.kind === "choice") return field.default ?? (field.required ? (field.options[0] ?? "") : "");
  return "";
}

/** Only the fields that were filled in: an empty field means its default, and the backend knows the defaults. */
export function filledValues(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value.trim() !== ""));
}

/** The filled fields of a search by their labels, as in "Proposal 16123, Target M31". */
export function describeSearch(fields: Field[], values: Record<string, string>): string {
  return fields
    .filter((field) => values[field.key])
    .map((field) => `${field.label} ${values[field.key]}`)
    .join(", ");
}

export class Accounts {
  /** The archives an account can be added for, as the backend registered them. */
  readonly providers: ProviderInfo[];
  /** The built-in demo archive's sign-ins, one per archive it serves, when the app runs on it. */
  readonly demos: SignInForm[];
  /** Every account added, in the order they were added (the demo's too, once signed in). */
  list = $state.raw<Account[]>([]);
  /** Each account's last search (the fields filled in), kept while the app runs, as its archive keeps the matches. */
  #searches = new Map<AccountId, Record<string, string>>();

  constructor(startup: Pick<StartupState, "providers" | "accounts" | "demos">) {
    this.providers = startup.providers;
    this.demos = startup.demos;
    this.list = startup.accounts;
  }

  /** The demo sign-in the app opens on: the first archive the demo serves. */
  get demo(): SignInForm | null {
    return this.demos[0] ?? null;
  }

  find(id: AccountId): Account | undefined {
    return this.list.find((account) => account.id === id);
  }

  provider(id: ProviderId): ProviderInfo | undefined {
    return this.providers.find((provider) => provider.id === id);
  }

  /** The archive an account belongs to: the account's own record says, else its id's prefix. */
  providerOf(account: AccountId): ProviderInfo | undefined {
    return this.provider(this.find(account)?.provider ?? providerIdOf(account));
  }

  /** Where a batch came from, for the transfers panel: the archive and the account, when there is more
   * than one account to tell apart; `null` otherwise or for a batch of no account (a public folder). */
  originOf(batch: BatchSnapshot): string | null {
    const account = batch.origin?.account;
    if (!account || this.list.length < 2) return null;
    return `${this.archiveName(account)} · ${this.find(account)?.label ?? account}`;
  }

  /** The name of an account's archive as users know it (its id if the backend does not offer it). */
  archiveName(account: AccountId): string {
    return this.providerOf(account)?.name ?? providerIdOf(account);
  }

  /** Adds an account the backend signed in to, or replaces the one with its id. */
  remember(account: Account) {
    const known = this.list.some((other) => other.id === account.id);
    this.list = known ? this.list.map((other) => (other.id === account.id ? account : other)) : [...this.list, account];
  }

  forget(id: AccountId) {
    this.list = this.list.filter((account) => account.id !== id);
    this.#searches.delete(id);
  }

  /** The search form of an account's archive, or none when the archive does not search. */
  searchFields(account: AccountId): Field[] {
    const provider = this.providerOf(account);
    return provider?.abilities.search ? provider.search : [];
  }

  /** The values an account last searched its archive with, or null before its first search. */
  lastSearch(account: AccountId): Record<string, string> | null {
    return this.#searches.get(account) ?? null;
  }

  rememberSearch(account: AccountId, values: Record<string, string>) {
    this.#searches.set(account, values);
  }

  /** The sign-in form for an account: its archive and settings, no secrets; or an empty form for the first archive. */
  formFor(account?: Account | null): SignInForm {
    if (account) return { provider: account.provider, values: { ...account.settings } };
    return { provider: this.providers[0]?.id ?? "", values: {} };
  }
}

/** What the account menu asks the app to do; each rejects with a BackendError the menu shows. */
export interface AccountActions {
  /** Signs in to another account and shows its jobs (or asks for its password when the keyring has none). */
  switchTo(account: AccountId): Promise<void>;
  /** Opens the form to add an account. */
  add(): void;
  /** Signs the active account out. */
  signOut(): Promise<void>;
  /** Removes the active account and moves to another. */
  remove(): Promise<void>;
}
