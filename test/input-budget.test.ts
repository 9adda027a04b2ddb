// Flood control's token buckets, on a clock the test gives: bursts, rates, debt, and off.
import { describe, expect, it } from "vitest";
import { InputBudget } from "../src/server/input-budget.js";

describe("InputBudget", () => {
  it("lets a burst of lines through at once, then one line per 1/rate seconds", () => {
    const budget = new InputBudget({ rate: 10, burst: 5 }, { rate: 0, burst: 1 });
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) expect(budget.takeLine(10, t0)).toBe(0);
    expect(budget.takeLine(10, t0)).toBeCloseTo(100, 5);
    expect(budget.takeLine(10, t0 + 99)).toBeGreaterThan(0);
    expect(budget.takeLine(10, t0 + 100)).toBe(0);
    expect(budget.takeLine(10, t0 + 100)).toBeCloseTo(100, 5);
  });

  it("charges bytes as well: a line waits for whichever budget is shorter", () => {
    const budget = new InputBudget({ rate: 100, burst: 100 }, { rate: 1000, burst: 2000 });
    const t0 = performance.now();
    expect(budget.takeLine(1000, t0)).toBe(0);
    expect(budget.takeLine(1000, t0)).toBe(0);
    expect(budget.takeLine(1000, t0)).toBeCloseTo(1000, 5);
    expect(budget.takeLine(1000, t0 + 1000)).toBe(0);
  });

  it("lets a line larger than the byte burst through from a full bucket, into debt", () => {
    const budget = new InputBudget({ rate: 0, burst: 1 }, { rate: 1000, burst: 100 });
    const t0 = performance.now();
    expect(budget.takeLine(4096, t0)).toBe(0);
    // 3996 bytes of debt, then the next line's 10: 4.006 s at 1000 bytes a second.
    expect(budget.takeLine(10, t0)).toBeCloseTo(4006, 5);
  });

  it("never refills past the burst", () => {
    const budget = new InputBudget({ rate: 10, burst: 2 }, { rate: 0, burst: 1 });
    const t0 = performance.now();
    expect(budget.takeLine(1, t0 + 60_000)).toBe(0);
    expect(budget.takeLine(1, t0 + 60_000)).toBe(0);
    expect(budget.takeLine(1, t0 + 60_000)).toBeGreaterThan(0);
  });

  it("does not limit with both rates 0", () => {
    const budget = new InputBudget({ rate: 0, burst: 1 }, { rate: 0, burst: 1 });
    for (let i = 0; i < 10_000; i++) expect(budget.takeLine(1_000_000)).toBe(0);
  });
});
