// Sample backend data for the tests, shaped like what the Rust side sends, and a mock of the IPC commands.
import type { Channel } from "@tauri-apps/api/core";
import { mockConvertFileSrc, mockIPC } from "@tauri-apps/api/mocks";
import { vi } from "vitest";
import { Accounts, type AccountActions } from "../lib/accounts.svelte";
import type { BackendError } from "../lib/backend";
import type { Account } from "../lib/bindings/Account";
import type { BatchSnapshot } from "../lib/bindings/BatchSnapshot";
import type { ItemSnapshot } from "../lib/bindings/ItemSnapshot";
import type { Field } from "../lib/bindings/Field";
import type { Job } from "../lib/bindings/Job";
import type { OutputKind } from "../lib/bindings/OutputKind";
import type { OutputNode } from "../lib/bindings/OutputNode";
import type { PreviewDetails } from "../lib/bindings/PreviewDetails";
import type { ProviderInfo } from "../lib/bindings/ProviderInfo";
import type { SignedIn } from "../lib/bindings/SignedIn";
import type { SignInForm } from "../lib/bindings/SignInForm";
import type { StartupState } from "../lib/bindings/StartupState";
import type { TransferEvent } from "../lib/bindings/TransferEvent";
import type { Footprint } from "../lib/footprints";

/** The DESaccess provider as the backend describes it. */
export const DESACCESS: ProviderInfo = {
  id: "desaccess",
  name: "DESaccess",
  summary: "Dark Energy Survey cutout and query jobs (NCSA).",
  fields: [
    {
      key: "api_base",
      label: "Server",
      kind: "url",
      required: true,
      default: "https://des.ncsa.illinois.edu/desaccess/api",
      help: "The DESaccess API address.",
      env: null,
      suggestions: [
        { value: "https://des.ncsa.illinois.edu/desaccess/api", label: "Public release (DR1, DR2; database desdr)" },
        { value: "https://deslabs.ncsa.illinois.edu/desaccess/api", label: "DES collaboration (databases dessci, desoper)" },
      ],
    },
    { key: "username", label: "Username", kind: "text", required: true, default: null, help: "", env: null, suggestions: [] },
    { key: "password", label: "Password", kind: "secret", required: true, default: null, help: "Kept in your system keyring, never on disk.", env: "DESACCESS_PASSWORD", suggestions: [] },
    {
      key: "database",
      label: "Database",
      kind: "choice",
      options: ["desdr", "dessci", "desoper"],
      required: false,
      default: "desdr",
      help: "desdr for public data releases; dessci or desoper for the collaboration.",
      env: null,
      suggestions: [],
    },
  ],
  abilities: { jobs: true, search: false, previews: true, uploads: false, requests: false, footprints: false },
  search: [],
  tokenEnv: null,
  expiry: "DESaccess deletes a job's files some time after the job expires.",
  opens: null,
  archiveFolder: null,
  retrieval: null,
  deletion: null,
};

const DEMO_API = "http://127.0.0.1:40123/desaccess/api";

/** The built-in demo archive's sign-in, as `startup_state` gives it. */
export const DEMO_FORM: SignInForm = {
  provider: "desaccess",
  values: { api_base: DEMO_API, username: "demo", password: "demo-password", database: "desdr" },
};

function desaccessAccount(username: string, port: number, database = "desdr"): Account {
  const server = `127.0.0.1:${port}/desaccess/api`;
  return {
    id: `desaccess:${username}@${server}`,
    provider: "desaccess",
    label: `${username} on ${server}`,
    settings: { api_base: `http://${server}`, username, database },
  };
}

/** The demo account, and a second account on another server. */
export const DEMO_ACCOUNT: Account = desaccessAccount("demo", 40123);
export const OTHER_ACCOUNT: Account = desaccessAccount("ana", 40999, "dessci");

export const SESSION: SignedIn = {
  account: DEMO_ACCOUNT,
  profile: { username: "demo", name: "Dana Emo", email: "demo@example.org" },
};
export const OTHER_SESSION: SignedIn = {
  account: OTHER_ACCOUNT,
  profile: { username: "ana", name: "Ana Lopes", email: "ana@example.org" },
};

/** What `startup_state` says of an app with the demo account added and active, not on the demo archive. */
export function startup(extra: Partial<StartupState> = {}): StartupState {
  return { providers: [DESACCESS], accounts: [DEMO_ACCOUNT], active: DEMO_ACCOUNT.id, demos: [], open: [], ...extra };
}

function job(id: string, name: string, status: Job["status"], extra: Partial<Job> = {}): Job {
  return {
    id,
    name,
    jobType: "cutout",
    status,
    statusMessage: "",
    submitted: "2020-09-22T18:27:27Z",
    started: "2020-09-22T18:27:30Z",
    completed: null,
    expires: null,
    account: DEMO_ACCOUNT.id,
    location: `http://127.0.0.1:40123/files/demo/cutout/${id}/`,
    ...extra,
  };
}

export const JOBS: Job[] = [
  job("aaaa0000000000000000000000000001", "queued_job", "init", { started: null }),
  job("bbbb0000000000000000000000000002", "running_job", "started"),
  job("c39008aa52f54b9e94335b566743af0c", "bulkthumbs_test", "success", {
    completed: "2020-09-22T18:31:02Z",
    expires: "2020-10-22T18:31:02Z",
    statusMessage: "Job complete",
  }),
  job("dddd0000000000000000000000000004", "broken_query", "failure", {
    jobType: "query",
    completed: "2020-09-21T09:05:00Z",
    statusMessage: "ORA-00942: table or view does not exist",
  }),
];

/** The second account's jobs. */
export const OTHER_JOBS: Job[] = [
  job("eeee0000000000000000000000000005", "ana_cutouts", "success", {
    account: OTHER_ACCOUNT.id,
    location: "http://127.0.0.1:40999/files/ana/cutout/eeee0000000000000000000000000005/",
  }),
  job("ffff0000000000000000000000000006", "ana_query", "success", {
    account: OTHER_ACCOUNT.id,
    jobType: "query",
    location: "http://127.0.0.1:40999/files/ana/query/ffff0000000000000000000000000006/",
  }),
];

export function file(path: string, size: number, kind: OutputKind): OutputNode {
  return { name: path.split("/").pop() ?? path, path, size, modified: "2020-09-22T18:30:00Z", fileCount: 1, children: [], ...kind };
}

export function folder(path: string, children: OutputNode[]): OutputNode {
  return {
    kind: "directory",
    name: path.split("/").pop() ?? path,
    path,
    size: children.reduce((sum, child) => sum + (child.size ?? 0), 0),
    modified: null,
    fileCount: children.reduce((sum, child) => sum + child.fileCount, 0),
    children,
  };
}

const TILE = "DES0226-1541/DESJ022640.4160-154120.0040";
export const TREE: OutputNode = folder("", [
  folder("DES0226-1541", [
    file(`${TILE}_g.fits`, 2_102_400, { kind: "fits", band: "g" }),
    file(`${TILE}_r.fits`, 2_102_400, { kind: "fits", band: "r" }),
    file(`${TILE}_irg_stiff.png`, 48_213, { kind: "stiffPng", colors: "irg" }),
  ]),
  file("BTL_C39008AA52F54B9E94335B566743AF0C.csv", 1_234, { kind: "csv" }),
  file("BulkThumbs_20200706-152133.log", 5_800, { kind: "log" }),
  file("BulkThumbs_20200706-152133_SUMMARY.json", 900, { kind: "summary" }),
]);

/**
 * Footprints of an UP42 job's scenes over Berlin, as the backend sends them: two Pléiades strips that overlap over the
 * centre, and a SPOT product delivered in two parts (Tegel and Tempelhof), which has no quicklook.
 */
export const UP42_FOOTPRINTS: Footprint[] = [
  {
    id: "5b7e9a1c-2f3d-4e8a-9c6b-1d2e3f4a5b6c",
    label: "DS_PHR1A_202306101024581_FR1_PX_E013N52_0615_01728",
    quicklook: "task_1/quicklooks/5b7e9a1c-2f3d-4e8a-9c6b-1d2e3f4a5b6c.jpg",
    geometry: {
      type: "Polygon",
      coordinates: [
        [
          [13.2012, 52.4188],
          [13.4521, 52.4102],
          [13.4633, 52.5815],
          [13.2098, 52.5902],
          [13.2012, 52.4188],
        ],
      ],
    },
  },
  {
    id: "8c4d2e6f-7a1b-4c3d-8e9f-0a1b2c3d4e5f",
    label: "DS_PHR1B_202306141018097_FR1_PX_E013N52_0511_03344",
    quicklook: "task_1/quicklooks/8c4d2e6f-7a1b-4c3d-8e9f-0a1b2c3d4e5f.jpg",
    geometry: {
      type: "Polygon",
      coordinates: [
        [
          [13.3487, 52.4466],
          [13.5931, 52.4395],
          [13.6024, 52.6007],
          [13.3559, 52.6079],
          [13.3487, 52.4466],
        ],
      ],
    },
  },
  {
    id: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    label: "SPOT7_202306201012345_TEGEL_TEMPELHOF",
    quicklook: null,
    geometry: {
      type: "MultiPolygon",
      coordinates: [
        [
          [
            [13.2655, 52.5412],
            [13.3169, 52.5398],
            [13.3187, 52.5689],
            [13.2671, 52.5703],
            [13.2655, 52.5412],
          ],
        ],
        [
          [
            [13.3815, 52.4648],
            [13.4237, 52.4641],
            [13.4249, 52.4852],
            [13.3826, 52.4859],
            [13.3815, 52.4648],
          ],
        ],
      ],
    },
  },
];

/** An optional text field of a form an archive declares. */
const text = (key: string, label: string, help: string): Field => ({ key, label, kind: "text", required: false, default: null, help, env: null, suggestions: [] });

/** An archive that searches, as the backend describes MAST: sign-in with an optional token, a search form. */
export const MAST: ProviderInfo = {
  id: "mast",
  name: "MAST",
  summary: "Observations of HST, JWST, TESS and more (STScI's Mikulski Archive).",
  fields: [
    { key: "base", label: "Server", kind: "url", required: true, default: "https://mast.stsci.edu", help: "MAST's address.", env: null, suggestions: [] },
    { key: "token", label: "API token", kind: "secret", required: false, default: null, help: "Only exclusive-access data needs one.", env: "MAST_API_TOKEN", suggestions: [] },
    text("trusted_hosts", "Hosts trusted with the token", "Other hosts MAST redirects to that may see your token."),
  ],
  abilities: { jobs: false, search: true, previews: true, uploads: false, requests: false, footprints: false },
  search: [
    text("collection", "Collection", "e.g. HST, JWST, TESS."),
    text("proposal", "Proposal", "The proposal (program) id, e.g. 16123."),
    text("instrument", "Instrument", "e.g. WFC3/UVIS, NIRCAM/IMAGE."),
    text("target", "Target", "The target name as MAST records it; * is a wildcard."),
    text("ra", "RA", "Right ascension of a cone's centre, in degrees."),
    text("dec", "Dec", "Declination of a cone's centre, in degrees."),
    text("radius", "Radius", "The cone's radius in degrees (default 0.2)."),
  ],
  tokenEnv: "MAST_API_TOKEN",
  expiry: null,
  opens: "MAST download scripts (.sh)",
  archiveFolder: null,
  retrieval: null,
  deletion: null,
};

const MAST_BASE = "http://127.0.0.1:40124";

/** The demo's MAST sign-in, as `startup_state` gives it after the DESaccess one. */
export const MAST_DEMO_FORM: SignInForm = { provider: "mast", values: { base: MAST_BASE, token: "5e1d9b7c3a2f4e6d8c0b1a9f7e5d3c2b" } };

export const MAST_ACCOUNT: Account = {
  id: "mast:token@127.0.0.1:40124",
  provider: "mast",
  label: "your token on 127.0.0.1:40124",
  settings: { base: MAST_BASE },
};
export const MAST_SESSION: SignedIn = { account: MAST_ACCOUNT, profile: { username: "demo", name: "Dana Emo", email: "" } };

function observation(obsid: string, obsId: string, message: string): Job {
  return job(obsid, obsId, "success", {
    jobType: "HST WFC3/UVIS",
    statusMessage: message,
    submitted: "2021-03-04T05:06:07Z",
    started: "2021-03-04T05:06:07Z",
    account: MAST_ACCOUNT.id,
    location: `${MAST_BASE}/api/v0/invoke?request=${obsid}`,
  });
}

/** The observations of the demo proposal, as `search_jobs` gives them. */
export const OBSERVATIONS: Job[] = [
  observation("24000001", "ie4m01abq", "NGC-4151 · proposal 16123"),
  observation("24000002", "ie4m01acq", "NGC-4151 · proposal 16123 · exclusive access: needs a MAST token"),
];

/** One observation's products: a flat folder of FITS files and a JPEG preview. */
export const PRODUCTS: OutputNode = folder("", [
  file("ie4m01abq_flt.fits", 1_234_567, { kind: "fits", band: null }),
  file("ie4m01abq_drz.fits", 2_345_678, { kind: "fits", band: null }),
  file("ie4m01abq_drz.jpg", 45_678, { kind: "image" }),
]);

/** What `preview_details` tells of a FITS file: a 200 × 200 float image with a few header cards. */
export const FITS_DETAILS: PreviewDetails = {
  info: {
    format: "fits",
    width: 200,
    height: 200,
    fits: {
      hdu: 1,
      bitpix: -32,
      axes: [200, 200],
      compression: "RICE_1",
      cards: [
        { key: "SIMPLE", value: "T", comment: "conforms to FITS standard" },
        { key: "BAND", value: "'r'", comment: null },
        { key: "EXPTIME", value: "90.0", comment: "exposure time (s)" },
      ],
    },
  },
  headerOnly: false,
  localPath: null,
};

export function backendError(code: BackendError["code"], message: string, retryable = false): BackendError {
  return { code, message, retryable };
}

export const DOWNLOAD_FOLDER = "/home/demo/Downloads/Jobfetch";

/** A batch snapshot of the demo job, half-way through, with the fields `extra` gives. */
export function batch(extra: Partial<BatchSnapshot> = {}): BatchSnapshot {
  return {
    id: 1,
    name: "bulkthumbs_test",
    origin: { provider: "desaccess", account: DEMO_ACCOUNT.id, job: "c39008aa52f54b9e94335b566743af0c", scope: "whole" },
    root: `${DOWNLOAD_FOLDER}/c39008aa52f54b9e94335b566743af0c`,
    state: "running",
    listingComplete: true,
    filesTotal: 6,
    filesDone: 2,
    filesFailed: 0,
    bytesTotal: 4_261_147,
    bytesDone: 2_130_573,
    rate: 1_468_006,
    etaSeconds: 130,
    connections: 4,
    items: [],
    error: null,
    ...extra,
  };
}

export function item(extra: Partial<ItemSnapshot> = {}): ItemSnapshot {
  return { id: 10, path: "DES0226-1541/a_r.fits", state: "running", bytesDone: 1_051_200, size: 2_102_400, error: null, ...extra };
}

/** The backend's side of the transfers channel: takes the UI's subscription and sends it snapshots. */
export class TransferFeed {
  #channel: Channel<TransferEvent> | null = null;
  #first: BatchSnapshot[];

  /** `first` is the snapshot sent at once on subscribing, as the backend does. */
  constructor(first: BatchSnapshot[] = []) {
    this.#first = first;
  }

  /** The `watch_transfers` handler. */
  subscribe = (args: Record<string, unknown>) => {
    this.#channel = args.onEvent as Channel<TransferEvent>;
    this.send(this.#first);
    return null;
  };

  send(batches: BatchSnapshot[]) {
    if (!this.#channel) throw new Error("the UI has not subscribed to transfers");
    this.#channel.onmessage({ event: "snapshot", data: batches });
  }
}

type Handler = (args: Record<string, unknown>) => unknown;

/**
 * Answers IPC commands from `handlers` (a handler may throw a BackendError to reject) and records every call.
 * A command without a handler rejects, which the UI shows as an internal error. Events work too: the
 * backend's are sent with `emit` from `@tauri-apps/api/event`.
 */
export function mockBackend(handlers: Record<string, Handler>) {
  const calls: { cmd: string; args: Record<string, unknown> }[] = [];
  mockConvertFileSrc("linux");
  mockIPC(
    (cmd, args) => {
      const payload = (args ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args: payload });
      const handler = handlers[cmd];
      if (!handler) throw new Error(`unexpected IPC command ${cmd}`);
      return handler(payload);
    },
    { shouldMockEvents: true },
  );
  return calls;
}

/**
 * Handlers for an app that resumes the demo session and lists `JOBS`, with `TREE` as every job's outputs,
 * nothing downloaded, no transfers yet, no speed limit, and `FITS_DETAILS` for every preview.
 */
export function signedInHandlers(overrides: Record<string, Handler> = {}): Record<string, Handler> {
  return {
    startup_state: () => startup(),
    resume_session: () => SESSION,
    list_jobs: () => JOBS,
    job_outputs: () => TREE,
    sign_out: () => null,
    watch_transfers: new TransferFeed().subscribe,
    download_folder: () => DOWNLOAD_FOLDER,
    free_space: () => 500 * 2 ** 30,
    bandwidth_limit: () => null,
    downloaded_outputs: () => [],
    preview_details: () => FITS_DETAILS,
    cancel_previews: () => null,
    last_job: () => null,
    remember_job: () => null,
    followed_jobs: () => [],
    ...overrides,
  };
}

/** Account actions that do nothing, for components shown without the app around them. */
export function noActions(): AccountActions {
  return { switchTo: vi.fn(async () => {}), add: vi.fn(), signOut: vi.fn(async () => {}), remove: vi.fn(async () => {}) };
}

/** The props of a Workspace (or TopBar) signed in to the demo account. */
export function workspaceProps() {
  return { signedIn: SESSION, accounts: new Accounts(startup()), actions: noActions() };
}
