import { describe, expect, it } from "vitest";
import { Backoff } from "./backoff";

describe("Backoff", () => {
  it("waits longer each time nothing changed, up to the cap, and starts over after a change", () => {
    const backoff = new Backoff(2_000, 1.5, 10_000);
    expect([false, false, false, false, false, false].map((changed) => backoff.next(changed))).toEqual([
      2_000, 3_000, 4_500, 6_750, 10_000, 10_000,
    ]);
    expect(backoff.next(true)).toBe(2_000);
    expect(backoff.next(false)).toBe(3_000);
  });
});
