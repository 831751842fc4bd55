// Picking files by what they are: the "select by kind" choices of a job, which outputs have a picture, and one object's files.
import type { OutputKind } from "./bindings/OutputKind";
import type { OutputNode } from "./bindings/OutputNode";
import type { IconName } from "./components/Icon.svelte";
import { parentFolder } from "./gallery-layout";

/** One entry of the "select by kind" menu: its label and the files it selects, in display order. */
export interface KindChoice {
  label: string;
  paths: string[];
}

/** True for the kinds the backend renders a picture of. */
export function hasPicture(kind: OutputKind): boolean {
  return kind.kind === "fits" || kind.kind === "stiffPng" || kind.kind === "luptonPng" || kind.kind === "image";
}

/** The icon standing for a file of `kind` where there is no picture of it. */
export function kindIcon(kind: OutputKind): IconName {
  switch (kind.kind) {
    case "fits":
    case "stiffPng":
    case "luptonPng":
    case "image":
      return "image";
    case "csv":
      return "table";
    case "json":
    case "geoJson":
    case "summary":
      return "braces";
    case "tar":
      return "archive";
    case "log":
      return "text";
    default:
      return "file";
  }
}

/** The menu entry a file belongs to, or null for kinds the menu does not offer. */
function choiceLabel(kind: OutputKind): string | null {
  switch (kind.kind) {
    case "fits":
      return kind.band ? `${kind.band}-band FITS` : "FITS without a band";
    case "stiffPng":
      return "STIFF PNGs";
    case "luptonPng":
      return "Lupton PNGs";
    case "image":
      return "Quicklooks and other images";
    case "csv":
      return "Catalogues (CSV)";
    default:
      return null;
  }
}

/** The "select by kind" entries that exist among `files`, FITS bands first in the order met, then the other kinds. */
export function kindChoices(files: readonly OutputNode[]): KindChoice[] {
  const choices = new Map<string, KindChoice>();
  for (const file of files) {
    const label = choiceLabel(file);
    if (!label) continue;
    const choice = choices.get(label) ?? { label, paths: [] };
    choice.paths.push(file.path);
    choices.set(label, choice);
  }
  const fitsFirst = (choice: KindChoice) => (choice.label.includes("FITS") ? 0 : 1);
  return [...choices.values()].sort((a, b) => fitsFirst(a) - fitsFirst(b));
}

/** How a kind's name ends after the object's name: `_r` for an r-band FITS, `_irg_stiff` for a STIFF colour picture. */
const KIND_SUFFIX: Partial<Record<OutputKind["kind"], RegExp>> = {
  fits: /_[^_]+$/,
  stiffPng: /_[^_]*_stiff$/i,
  luptonPng: /_[^_]*_lupton$/i,
};

/**
 * The object a file shows, from its name: the stem without extensions (`.fits.fz` too), without the band or
 * colours-and-style part its kind adds (`DESJ0226_r.fits`, `DESJ0226_irg_stiff.png` → `DESJ0226`).
 */
export function objectName(file: OutputNode): string {
  const stem = file.name.replace(/(\.(fz|gz|bz2))?\.[^.]+$/i, "");
  const suffix = file.kind === "fits" && !file.band ? undefined : KIND_SUFFIX[file.kind];
  const object = suffix ? stem.replace(suffix, "") : stem;
  return object || stem;
}

/** Every file of the same object as `file` in its folder, in display order. */
export function sameObject(files: readonly OutputNode[], file: OutputNode): string[] {
  const folder = parentFolder(file.path);
  const object = objectName(file);
  return files.filter((other) => parentFolder(other.path) === folder && objectName(other) === object).map((other) => other.path);
}
