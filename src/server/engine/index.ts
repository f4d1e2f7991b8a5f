/**
 * The engines' entry points, called by the server's routes.
 *  - recommend / heatmap: an empirical-Bayes weekday×hour engagement model per platform
 *    (industry priors + the account's recency-weighted history), see ./recommend.
 *  - optimize: a time-indexed assignment solved exactly with HiGHS per independent channel
 *    group, or by greedy + local search when the instance is too large, with the LP bound
 *    reported either way, see ./optimize.
 */
export type * from './types';
export { recommend, heatmap } from './recommend/recommend';
export { MODEL_VERSION } from './recommend/model';
export { optimize } from './optimize/optimize';
