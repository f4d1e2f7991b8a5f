/**
 * The engines' interface: plain data in, plain data out, no I/O, no Fastify. The server's
 * routes load history and items from storage, call these, and shape the HTTP answer.
 * All instants are RFC 3339 strings with an offset; all zones are IANA names.
 */
import type {
  Constraints,
  Heatmap,
  OptimizationChange,
  Platform,
  Recommendation,
  Violation,
} from '../../shared/api';

/** One past post's outcome (from POST /scheduling/metrics). */
export interface HistoryObservation {
  content_id: string;
  platform: Platform;
  channel?: string | undefined;
  published_at: string;
  impressions: number;
  engagements: number;
}

/** An item already on the account's calendar. */
export interface CalendarItem {
  id: string;
  content_id: string;
  platform: Platform;
  /** Defaults to the platform when the item carries none. */
  channel: string;
  scheduled_time: string;
  status: 'scheduled' | 'processing' | 'published' | 'failed' | 'cancelled';
}

export interface RecommendInput {
  platforms: Platform[];
  targetCount: number;
  /** The audience's zone: weekday/hour features are read in it. */
  timezone: string;
  /** Horizon [start, end). */
  start: string;
  end: string;
  durationMinutes: number;
  history: HistoryObservation[];
  existing: CalendarItem[];
  /** Epoch ms; recency weights and "not in the past" are measured from it. */
  now: number;
}

export interface RecommendOutput {
  data: Recommendation[];
  modelVersion: string;
}

export interface HeatmapInput {
  platform: Platform;
  timezone: string;
  history: HistoryObservation[];
  now: number;
}

export type HeatmapOutput = Heatmap;

export interface OptimizeInput {
  items: CalendarItem[];
  /** The schedule's zone: local days (daily caps) are counted in it. */
  timezone: string;
  constraints: Constraints;
  history: HistoryObservation[];
  now: number;
  /** Wall-clock budget for the whole solve; the heuristic answers when exact search would exceed it. */
  timeBudgetMs?: number;
  slotMinutes?: number;
  /** 'auto' (default) picks exact for instances HiGHS answers within the budget; the others force one method. */
  method?: 'auto' | 'exact' | 'heuristic';
}

export interface OptimizeOutput {
  status: 'completed' | 'infeasible';
  changes: OptimizationChange[];
  objective: { before: number; after: number; uplift_pct: number; upper_bound: number };
  violations_before: Violation[];
  solver: { method: string; gap: number; duration_ms: number };
  /** Present when status is infeasible: which constraint makes it so, and for which items. */
  infeasible?: { constraint: string; message: string; item_ids: string[] };
}
