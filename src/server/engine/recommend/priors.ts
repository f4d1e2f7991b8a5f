/**
 * Industry priors: when each platform's audience engages, as published by the studies named in
 * each row. Rows are data, not code, so a new study is one more row with its source.
 * Hours are [from, to) in the audience's local time unless `utcOffsetMinutes` says the study
 * reported them in a fixed zone (Sprout's 2021 Instagram data was published in CST = UTC−6).
 */
import type { Platform } from '../../../shared/api';

/** 0 = Monday … 6 = Sunday. */
export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export interface PriorRow {
  platform: Platform;
  source: string;
  days: Weekday[];
  /** Local hours [from, to). */
  from: number;
  to: number;
  /** Relative strength of the finding (1 = the study's headline peak). */
  weight: number;
  /** Set when the study reported times in a fixed offset rather than the audience's local time. */
  utcOffsetMinutes?: number;
}

export interface WorstDayRow {
  platform: Platform;
  source: string;
  day: Weekday;
}

const MON = 0, TUE = 1, WED = 2, THU = 3, FRI = 4, SAT = 5, SUN = 6;
const WEEKDAYS: Weekday[] = [MON, TUE, WED, THU, FRI];
const CST = -6 * 60;

const SPROUT_2024 = 'Sprout Social, Best times to post on social media (2024)';
const SPROUT_2023 = 'Sprout Social, Best times to post on social media (2023)';
const SPROUT_2021 = 'Sprout Social, Best times to post on social media (2021)';
const BUFFER_YT = 'Buffer, analysis of 1M+ YouTube videos';
const HUBSPOT_2022 = 'HubSpot, 2022 social media marketing survey';

export const PRIOR_ROWS: readonly PriorRow[] = [
  // TikTok
  { platform: 'tiktok', source: SPROUT_2024, days: [TUE], from: 16, to: 19, weight: 1 },
  { platform: 'tiktok', source: SPROUT_2024, days: [WED], from: 9, to: 12, weight: 1 },
  { platform: 'tiktok', source: SPROUT_2024, days: [WED], from: 12, to: 13, weight: 1 },
  { platform: 'tiktok', source: SPROUT_2024, days: [WED], from: 14, to: 19, weight: 1 },
  { platform: 'tiktok', source: SPROUT_2024, days: [THU], from: 9, to: 12, weight: 1 },
  { platform: 'tiktok', source: SPROUT_2024, days: [THU], from: 14, to: 19, weight: 1 },
  { platform: 'tiktok', source: SPROUT_2024, days: [FRI], from: 16, to: 19, weight: 1 },
  { platform: 'tiktok', source: SPROUT_2023, days: [TUE], from: 14, to: 19, weight: 0.8 },
  { platform: 'tiktok', source: SPROUT_2023, days: [WED], from: 14, to: 18, weight: 0.8 },
  { platform: 'tiktok', source: SPROUT_2023, days: [THU], from: 15, to: 18, weight: 0.8 },
  // Instagram
  { platform: 'instagram', source: SPROUT_2023, days: [MON], from: 10, to: 13, weight: 1 },
  { platform: 'instagram', source: SPROUT_2023, days: [TUE], from: 9, to: 14, weight: 1 },
  { platform: 'instagram', source: SPROUT_2023, days: [WED], from: 10, to: 14, weight: 1 },
  { platform: 'instagram', source: SPROUT_2023, days: [FRI], from: 9, to: 12, weight: 1 },
  { platform: 'instagram', source: SPROUT_2021, days: [TUE], from: 11, to: 15, weight: 0.8, utcOffsetMinutes: CST },
  { platform: 'instagram', source: SPROUT_2021, days: WEEKDAYS, from: 11, to: 12, weight: 0.6, utcOffsetMinutes: CST },
  // LinkedIn
  { platform: 'linkedin', source: SPROUT_2023, days: [TUE, WED], from: 10, to: 13, weight: 1 },
  { platform: 'linkedin', source: SPROUT_2021, days: [TUE, WED, THU], from: 9, to: 13, weight: 0.8 },
  // YouTube
  { platform: 'youtube', source: BUFFER_YT, days: [FRI], from: 15, to: 21, weight: 1 },
  { platform: 'youtube', source: HUBSPOT_2022, days: [FRI, SAT, SUN], from: 18, to: 21, weight: 0.9 },
  { platform: 'youtube', source: HUBSPOT_2022, days: [FRI, SAT, SUN], from: 15, to: 18, weight: 0.6 },
  { platform: 'youtube', source: HUBSPOT_2022, days: [FRI, SAT, SUN], from: 12, to: 15, weight: 0.4 },
];

export const WORST_DAYS: readonly WorstDayRow[] = [
  { platform: 'tiktok', source: SPROUT_2024, day: SUN },
  { platform: 'instagram', source: SPROUT_2023, day: SUN },
  { platform: 'linkedin', source: SPROUT_2021, day: SUN },
];

/** What the reason sentence says about a platform's prior, in words a person reads. */
export const PRIOR_SUMMARY: Record<Platform, string> = {
  tiktok: 'TikTok audiences peak mid-week afternoons (industry data)',
  instagram: 'Instagram audiences peak late weekday mornings (industry data)',
  linkedin: 'LinkedIn audiences peak Tuesday–Wednesday mornings (industry data)',
  youtube: 'YouTube audiences peak Friday–Sunday evenings (industry data)',
};
