import { describe, expect, it } from 'vitest';
import { PRIOR_ROWS, WORST_DAYS } from './priors';
import { HOURS_PER_WEEK, priorSurface, rowCells } from './surface';

const cell = (day: number, hour: number): number => day * 24 + hour;
const mean = (grid: Float64Array, cells: number[]): number => cells.reduce((a, c) => a + (grid[c] ?? 0), 0) / cells.length;
const hours = (day: number, from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => cell(day, from + i));

describe('industry priors', () => {
  it('every row names its source and a valid span', () => {
    for (const row of PRIOR_ROWS) {
      expect(row.source.length).toBeGreaterThan(5);
      expect(row.from).toBeGreaterThanOrEqual(0);
      expect(row.to).toBeLessThanOrEqual(24);
      expect(row.from).toBeLessThan(row.to);
    }
    for (const row of WORST_DAYS) expect(row.source.length).toBeGreaterThan(5);
  });

  it('surfaces are smooth 0..1 grids peaking where the studies say', () => {
    for (const platform of ['tiktok', 'instagram', 'linkedin', 'youtube'] as const) {
      const grid = priorSurface(platform, 0);
      expect(grid).toHaveLength(HOURS_PER_WEEK);
      expect(Math.max(...grid)).toBeCloseTo(1, 6);
      for (let c = 0; c < HOURS_PER_WEEK; c++) {
        expect(grid[c]).toBeGreaterThanOrEqual(0);
        // Smooth: neighbouring hours never jump by more than a third of the range.
        expect(Math.abs((grid[c] ?? 0) - (grid[(c + 1) % HOURS_PER_WEEK] ?? 0))).toBeLessThan(0.34);
      }
    }
    const tiktok = priorSurface('tiktok', 0);
    expect(mean(tiktok, hours(2, 14, 18))).toBeGreaterThan(mean(tiktok, hours(0, 14, 18)));
    expect(mean(tiktok, hours(6, 9, 18))).toBeLessThan(mean(tiktok, hours(5, 9, 18)));
    expect(mean(tiktok, hours(1, 3, 5))).toBeLessThan(0.25);
    const linkedin = priorSurface('linkedin', 0);
    expect(mean(linkedin, hours(1, 10, 12))).toBeGreaterThan(mean(linkedin, hours(4, 10, 12)));
    const youtube = priorSurface('youtube', 0);
    expect(mean(youtube, hours(4, 18, 21))).toBeGreaterThan(mean(youtube, hours(1, 18, 21)));
    expect(mean(youtube, hours(5, 18, 21))).toBeGreaterThan(mean(youtube, hours(5, 12, 15)));
    const instagram = priorSurface('instagram', 0);
    expect(mean(instagram, hours(1, 9, 13))).toBeGreaterThan(mean(instagram, hours(6, 9, 13)));
  });

  it('converts the CST (UTC−6) row into the audience zone, local rows stay put', () => {
    const cst = PRIOR_ROWS.find((r) => r.utcOffsetMinutes === -360 && r.days.length === 1);
    const local = PRIOR_ROWS.find((r) => r.utcOffsetMinutes === undefined && r.platform === 'instagram');
    if (!cst || !local) throw new Error('fixture rows missing');
    // Tue 11–14 CST is Tue 11–14 for a Chicago winter audience, 12–15 in New York (UTC−5),
    // 17–20 in London (UTC+0) and half an hour later again for Adelaide-style :30 offsets.
    expect(rowCells(cst, -360).map(([c]) => c)).toEqual(hours(1, 11, 15));
    expect(rowCells(cst, -300).map(([c]) => c)).toEqual(hours(1, 12, 16));
    expect(rowCells(cst, 0).map(([c]) => c)).toEqual(hours(1, 17, 21));
    const split = rowCells(cst, 30);
    expect(split[0]).toEqual([cell(1, 17), cst.weight * 0.5]);
    expect(split[1]).toEqual([cell(1, 18), cst.weight * 0.5]);
    expect(rowCells(local, -300)).toEqual(rowCells(local, 600));
  });
});
