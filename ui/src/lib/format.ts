// Human-readable sizes, counts, times, output-kind, stage and digest labels, shared by every view.
import type { Digest } from "./bindings/Digest";
import type { OutputKind } from "./bindings/OutputKind";

const BINARY_UNITS = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const NUMBER = new Intl.NumberFormat("en-US");
const RELATIVE = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const RELATIVE_STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["minute", 60],
  ["hour", 3600],
  ["day", 86_400],
  ["month", 30 * 86_400],
  ["year", 365 * 86_400],
];

/**
 * Bytes in binary units, as everywhere in Jobfetch: `512 B`, `1.5 KiB`, `99.9 KiB`, `100 KiB`, `1.0 MiB`;
 * `—` when unknown. One decimal below 100, none from there, rounded half up; a value that would round
 * to 1024 takes the next unit. The engine's `units::human_size` does the same, step for step, and both
 * are tested against crates/engine/vectors/sizes.json.
 */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) return "—";
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  for (;;) {
    const tenths = Math.floor(value * 10 + 0.5);
    if (tenths < 1000) return `${Math.floor(tenths / 10)}.${tenths % 10} ${BINARY_UNITS[unit]}`;
    const whole = Math.floor(value + 0.5);
    if (whole < 1024 || unit === BINARY_UNITS.length - 1) return `${whole} ${BINARY_UNITS[unit]}`;
    value /= 1024;
    unit += 1;
  }
}

/** A transfer rate: `512 B/s`, `1.4 MiB/s`. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(Math.max(bytesPerSecond, 0)))}/s`;
}

/** Time left, rounded up: `45 s left`, `2 min left`, `1 h 5 min left`, `3 d 2 h left`; null when it can't be told. */
export function formatEta(seconds: number | null): string | null {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return null;
  const whole = Math.max(Math.ceil(seconds), 1);
  if (whole < 60) return `${whole} s left`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `${minutes} min left`;
  if (minutes < 24 * 60) return twoUnits(Math.floor(minutes / 60), "h", minutes % 60, "min");
  const hours = Math.ceil(seconds / 3600);
  return twoUnits(Math.floor(hours / 24), "d", hours % 24, "h");
}

function twoUnits(big: number, bigUnit: string, small: number, smallUnit: string): string {
  return small ? `${big} ${bigUnit} ${small} ${smallUnit} left` : `${big} ${bigUnit} left`;
}

/** A count with thousands grouped: `1,204`. */
export function formatNumber(count: number): string {
  return NUMBER.format(count);
}

/** A count with its noun: `1 file`, `1,204 files`, `3 entries`. */
export function formatCount(count: number, singular: string, plural = `${singular}s`): string {
  return `${formatNumber(count)} ${count === 1 ? singular : plural}`;
}

function parseTime(iso: string | null): Date | null {
  if (!iso) return null;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** An ISO 8601 time in the local zone: `22 Sep 2020, 18:27`; `—` when absent or unreadable. */
export function formatTime(iso: string | null): string {
  const date = parseTime(iso);
  if (!date) return "—";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getDate()} ${MONTHS[date.getMonth()]} ${date.getFullYear()}, ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** How far an ISO 8601 time is from now: `3 days ago`, `in 2 hours`, `just now`; null when absent. */
export function formatRelative(iso: string | null, now: Date = new Date()): string | null {
  const date = parseTime(iso);
  if (!date) return null;
  const seconds = (date.getTime() - now.getTime()) / 1000;
  if (Math.abs(seconds) < 60) return "just now";
  let [unit, size] = RELATIVE_STEPS[0];
  for (const step of RELATIVE_STEPS) {
    if (Math.abs(seconds) >= step[1]) [unit, size] = step;
  }
  return RELATIVE.format(Math.trunc(seconds / size), unit);
}

/** The short badge text for an output's kind: `FITS r`, `STIFF irg`, `Lupton gri`, `CSV`, ... */
export function kindLabel(kind: OutputKind): string {
  switch (kind.kind) {
    case "directory":
      return "Folder";
    case "fits":
      return kind.band ? `FITS ${kind.band}` : "FITS";
    case "stiffPng":
      return `STIFF ${kind.colors}`.trim();
    case "luptonPng":
      return `Lupton ${kind.colors}`.trim();
    case "image":
      return "Image";
    case "csv":
      return "CSV";
    case "log":
      return "LOG";
    case "summary":
      return "SUMMARY";
    case "json":
      return "JSON";
    case "tar":
      return "TAR";
    case "geoJson":
      return "GeoJSON";
    case "other":
      return "File";
  }
}

/**
 * An archive's stage name as words: `GET_UNPACKING` → `Unpacking`. The word every stage of the job starts with
 * (`among`: its stages' names, e.g. all `GET_…`) is left out, as the timeline says it once for all.
 */
export function stageLabel(name: string, among: readonly string[] = []): string {
  const words = name.split("_").filter(Boolean);
  const shared = among.length > 1 ? among[0].split("_")[0] : null;
  const sharedByAll = shared !== null && among.every((other) => other.split("_")[0] === shared);
  const kept = sharedByAll && words.length > 1 && words[0] === shared ? words.slice(1) : words;
  const text = kept.join(" ").toLowerCase();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A bare stage code as an archive reports it (`GET_COMPLETED`, `ON_STORAGE`), with no words of its own. */
const STAGE_CODE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;

/** True when an archive whose jobs go through stages said only which stage a job is at. */
export function isStageCode(message: string): boolean {
  return STAGE_CODE.test(message);
}

/**
 * What an archive says of a job, for people: on an archive whose jobs go through stages, a bare stage code reads as
 * words (`GET_COMPLETED` → `Get completed`); anything else stays as the archive wrote it.
 */
export function statusText(message: string, withStages: boolean): string {
  return withStages && isStageCode(message) ? stageLabel(message) : message;
}

/** The characters of a long digest shown on each side of the ellipsis; the whole value is in the tooltip. */
const DIGEST_ENDS = 6;

/**
 * A published digest, short enough for a tree row: `ADLER-32 0x1a2b3c4d`, `SHA-256 3b4c5d…9e0f1a`.
 */
export function digestLabel(digest: Digest): string {
  const name = digest.algorithm === "adler32" ? "ADLER-32" : "SHA-256";
  const { value } = digest;
  const short = value.length > 2 * DIGEST_ENDS + 1 ? `${value.slice(0, DIGEST_ENDS)}…${value.slice(-DIGEST_ENDS)}` : value;
  return `${name} ${short}`;
}
