// Which of a job's output files are selected for download, shared by the list and the gallery; a folder stands for every file below it.
import type { OutputNode } from "./bindings/OutputNode";

/** How much of a node is ticked: none of its files, some, or all. */
export type Check = "none" | "some" | "all";

export class OutputSelection {
  #root: OutputNode;
  /** Every node's path → the paths of the files at or below it. */
  #files = new Map<string, string[]>();
  #sizes = new Map<string, number>();
  #titles = new Map<string, string>();
  #ticked = $state.raw<ReadonlySet<string>>(new Set());

  /** How many files are ticked. */
  count = $derived(this.#ticked.size);
  /** Their total size in bytes. */
  bytes = $derived([...this.#ticked].reduce((sum, path) => sum + (this.#sizes.get(path) ?? 0), 0));

  /** Every file in display order: a folder's subfolders first, then its own files, so each folder's files are together. */
  readonly files: OutputNode[] = [];

  constructor(root: OutputNode) {
    this.#root = root;
    this.#index(root);
  }

  #index(node: OutputNode): string[] {
    let files: string[];
    if (node.title) this.#titles.set(node.path, node.title);
    if (node.kind === "directory") {
      const folders = node.children.filter((child) => child.kind === "directory");
      const own = node.children.filter((child) => child.kind !== "directory");
      files = [...folders, ...own].flatMap((child) => this.#index(child));
    } else {
      files = [node.path];
      this.#sizes.set(node.path, node.size ?? 0);
      this.files.push(node);
    }
    this.#files.set(node.path, files);
    return files;
  }

  /** What the archive calls the entry at `path`, where that is not its name on disk. */
  title(path: string): string | undefined {
    return this.#titles.get(path);
  }

  has(path: string): boolean {
    return this.#ticked.has(path);
  }

  /** Selects exactly the files `paths`. */
  replace(paths: Iterable<string>) {
    this.#ticked = new Set(paths);
  }

  add(paths: Iterable<string>) {
    this.#ticked = new Set([...this.#ticked, ...paths]);
  }

  remove(paths: Iterable<string>) {
    const next = new Set(this.#ticked);
    for (const path of paths) next.delete(path);
    this.#ticked = next;
  }

  /** A copy of the selected files' paths. */
  snapshot(): Set<string> {
    return new Set(this.#ticked);
  }

  selectAll() {
    this.#ticked = new Set(this.files.map((file) => file.path));
  }

  /** The paths of `files[from]` to `files[to]` (either way round). */
  range(from: number, to: number): string[] {
    return this.files.slice(Math.min(from, to), Math.max(from, to) + 1).map((file) => file.path);
  }

  check(node: OutputNode): Check {
    const files = this.#files.get(node.path) ?? [];
    const ticked = files.filter((path) => this.#ticked.has(path)).length;
    if (ticked === 0) return "none";
    return ticked === files.length ? "all" : "some";
  }

  /** Ticks every file at or below `node`, or unticks them all when they all are ticked already. */
  toggle(node: OutputNode) {
    const files = this.#files.get(node.path) ?? [];
    const next = new Set(this.#ticked);
    if (this.check(node) === "all") files.forEach((path) => next.delete(path));
    else files.forEach((path) => next.add(path));
    this.#ticked = next;
  }

  clear() {
    this.#ticked = new Set();
  }

  /** The fewest output paths naming exactly the ticked files: a wholly ticked folder is sent as the folder. */
  paths(): string[] {
    const cover = (nodes: OutputNode[]): string[] =>
      nodes.flatMap((node) => {
        const check = this.check(node);
        if (check === "all") return [node.path];
        return check === "some" ? cover(node.children) : [];
      });
    return cover(this.#root.children);
  }
}
